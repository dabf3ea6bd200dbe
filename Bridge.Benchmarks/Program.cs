using BenchmarkDotNet.Running;

// Benchmarks are chosen on the command line (--filter '*' runs them all); see README.md and scripts/bench.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
