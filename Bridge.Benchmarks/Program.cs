using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;

// Every benchmark reports alike: allocations beside times, and each category (the bridge's way against the stock
// one, e.g. "AckRead") grouped, so its ratio column compares within the category.
var config = DefaultConfig.Instance
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory)
    .AddColumn(CategoriesColumn.Default);

// Benchmarks are chosen on the command line (--filter '*' runs them all); see README.md and scripts/bench.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
