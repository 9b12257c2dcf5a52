using System.CommandLine;

namespace Nestor.Runtime.Commands;

/// <summary>The `nestor` command tree. Each subcommand lives in its own file.</summary>
public static class NestorCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Nestor runtime: train, slice, evaluate and serve elastic NemotronH checkpoints.");
        root.Subcommands.Add(DoctorCommand.Build());
        root.Subcommands.Add(BenchCommand.Build());
        root.Subcommands.Add(ServeCommand.Build());
        root.Subcommands.Add(TestModelCommand.Build());
        root.Subcommands.Add(FetchCommand.Build());
        root.Subcommands.Add(TrainTeacherCommand.Build());
        root.Subcommands.Add(ElastifyCommand.Build());
        root.Subcommands.Add(EvalCommand.Build());
        return root;
    }
}
