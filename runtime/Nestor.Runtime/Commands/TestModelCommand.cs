using System.CommandLine;
using Nestor.Serving;

namespace Nestor.Runtime.Commands;

/// <summary>`nestor test-model`: writes a randomly initialised elastic checkpoint (a stand-in until the trainer ships one).</summary>
public static class TestModelCommand
{
    public static Command Build()
    {
        var output = new Option<string>("--output") { Description = "Folder to write (created; must be empty).", Required = true };
        var size = new Option<TestModel.Size>("--size") { Description = "Tiny (tests), Bench (make serve without a shipped model; 15 MB) or Serve (bench-serve; 56 MB, more than a CPU's caches).", DefaultValueFactory = _ => TestModel.Size.Bench };
        var seed = new Option<ulong>("--seed") { Description = "Initialisation seed.", DefaultValueFactory = _ => 1 };
        var command = new Command("test-model", "Write a randomly initialised elastic checkpoint (budgets full, b75, b50) for trying the server.")
        {
            output, size, seed,
        };
        command.SetAction(parse =>
        {
            var folder = parse.GetValue(output)!;
            var digest = TestModel.Write(folder, parse.GetValue(size), parse.GetValue(seed));
            Console.WriteLine($"wrote {folder} ({digest})");
            return 0;
        });
        return command;
    }
}
