using Nestor.Bench.Operator;

return args.Length > 0 && args[0] == "autoscaler"
    ? await AutoscalerBenchmark.RunAsync(args[1..])
    : await OperatorBenchmark.RunAsync(args);
