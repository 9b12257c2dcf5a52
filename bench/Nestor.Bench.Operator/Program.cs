using Nestor.Bench.Operator;

return await OperatorBenchmark.RunAsync(args);
