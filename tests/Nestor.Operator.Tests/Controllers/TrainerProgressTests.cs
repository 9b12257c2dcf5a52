using Nestor.Api.V1Alpha1;
using Nestor.Operator.Controllers.CompressionRuns;

namespace Nestor.Operator.Tests.Controllers;

public sealed class TrainerProgressTests
{
    [Fact]
    public void TheLastProgressLineOfTheTrainerLogBecomesTheRunsProgressAndPhase()
    {
        var log = """
            loading teacher from /weights/models/tiny-teacher
            {"schema_version":1,"phase":"EstimatingImportance","stage":0,"step":0,"total_steps":180,"tokens":0,"loss":{},"eta_seconds":null,"updated_at":"2026-11-29T20:00:00Z","message":null,"checkpoint":null}
            {"schema_version":1,"phase":"TrainingStage2","stage":2,"step":150,"total_steps":180,"tokens":491520,"loss":{"full":1.21,"b50":1.87},"eta_seconds":42.4,"updated_at":"2026-11-29T20:10:00Z","message":null,"checkpoint":null}
            {"schema_version":1,"phase":"TrainingStage2","step":
            warning: a line that is not JSON
            """;
        var record = TrainerProgressReader.Latest(log);
        Assert.NotNull(record);
        var status = new CompressionRunStatus { Phase = CompressionRunPhase.EstimatingImportance };
        TrainerProgressReader.Apply(status, record);
        Assert.Equal(CompressionRunPhase.TrainingStage2, status.Phase);
        Assert.Equal(150, status.Progress!.Step);
        Assert.Equal(180, status.Progress.TotalSteps);
        Assert.Equal(2, status.Progress.Stage);
        Assert.Equal(1.87, status.Progress.LossByBudget!["b50"]);
        Assert.Equal(42, status.Progress.EtaSeconds);
        Assert.Equal(new DateTime(2026, 11, 29, 20, 10, 0, DateTimeKind.Utc), status.Progress.UpdatedAt);
    }

    [Fact]
    public void TheProgressLinesNestorElastifyPrintsAreRead()
    {
        // As runtime/Nestor.Training's ProgressReporter prints them (extra "event" and "stage_name" fields).
        var log = """
            {"event":"router_warmup","budget":"b50","target_params":473712}
            {"event":"progress","schema_version":1,"phase":"TrainingStage1","stage":1,"stage_name":"stage1","step":10,"total_steps":18,"tokens":15360,"loss":{"b75":0.01449,"b50":0.1307,"full":0.04948},"eta_seconds":100,"message":null,"checkpoint":null}
            """;
        var status = new CompressionRunStatus();
        TrainerProgressReader.Apply(status, TrainerProgressReader.Latest(log)!);
        Assert.Equal(CompressionRunPhase.TrainingStage1, status.Phase);
        Assert.Equal(10, status.Progress!.Step);
        Assert.Equal(0.1307, status.Progress.LossByBudget!["b50"]);
    }

    [Fact]
    public void ALogWithoutProgressGivesNone() =>
        Assert.Null(TrainerProgressReader.Latest("starting\n{\"level\":\"info\"}\n{\"schema_version\":9,\"phase\":\"Exporting\"}\n"));
}
