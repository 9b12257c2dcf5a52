using Nestor.Quickstart;

return await QuickstartCommand.Build().Parse(args).InvokeAsync();
