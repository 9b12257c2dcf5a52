using Nestor.Runtime.Commands;

return await NestorCli.Build().Parse(args).InvokeAsync();
