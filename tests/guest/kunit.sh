# The KUnit suites ran at boot, before init; nothing to do but report.
echo "RVK-KUNIT $(grep -c . /sys/kernel/debug/kunit/*/results 2>/dev/null | wc -l) suites in debugfs"
