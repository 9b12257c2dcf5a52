Console.Error.WriteLine("Not built yet: see the open issues.");
return 2;
