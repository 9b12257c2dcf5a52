using Nestor.CrdGen;

return CrdGenCommand.Create().Parse(args).Invoke();
