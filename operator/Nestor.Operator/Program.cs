using Nestor.Operator.Hosting;

return await OperatorCommand.Build().Parse(args).InvokeAsync();
