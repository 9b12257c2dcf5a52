using System.Text.Json;
using k8s.Models;
using Nestor.Api.V1Alpha1;
using Nestor.Checkpoint;
using Nestor.Operator.Core.Kube;

namespace Nestor.Operator.Controllers.CompressionRuns;

/// <summary>
/// Live progress of a running trainer. The operator cannot read progress.json on the volume; the
/// trainer also prints the same record as JSON lines on stdout, so the last such line of the trainer
/// container's log tail (pods/log, tailLines) is the current progress. Where the log cannot be read
/// (no pods/log permission, an API server that does not serve it), there is simply no live progress.
/// </summary>
public sealed class TrainerProgressReader(KubeApiClient api)
{
    public const int TailLines = 50;

    public async Task<ProgressRecord?> ReadAsync(V1Pod pod, CancellationToken cancellationToken)
    {
        var path = $"/api/v1/namespaces/{Uri.EscapeDataString(pod.Metadata.NamespaceProperty)}/pods/{Uri.EscapeDataString(pod.Metadata.Name)}/log"
            + $"?container={TrainerJobBuilder.ContainerName}&tailLines={TailLines}";
        try
        {
            return Latest(await api.GetRawAsync(path, cancellationToken));
        }
        catch (KubeApiException)
        {
            return null;
        }
    }

    /// <summary>The last line of the log that is a progress record (docs/checkpoint-format.md), if any.</summary>
    public static ProgressRecord? Latest(string log)
    {
        foreach (var line in log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Reverse())
        {
            if (!line.StartsWith('{') || !line.Contains("\"schema_version\"", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                return ProgressRecord.Parse(line, "trainer log");
            }
            catch (Exception e) when (e is CheckpointFormatException or JsonException or InvalidOperationException)
            {
            }
        }

        return null;
    }

    public static void Apply(CompressionRunStatus status, ProgressRecord record)
    {
        status.Progress = new TrainingProgress
        {
            Stage = record.Stage == 0 ? null : record.Stage,
            Step = record.Step,
            TotalSteps = record.TotalSteps,
            Tokens = record.Tokens,
            LossByBudget = record.Loss.Count == 0 ? null : new Dictionary<string, double>(record.Loss),
            EtaSeconds = record.EtaSeconds is { } eta ? (long)Math.Round(eta) : null,
            UpdatedAt = record.UpdatedAt.UtcDateTime,
            Message = record.Message,
        };
        if (record.Phase is RunPhase.EstimatingImportance or RunPhase.TrainingStage1 or RunPhase.TrainingStage2 or RunPhase.Exporting)
        {
            status.Phase = Enum.Parse<CompressionRunPhase>(record.Phase.ToString());
        }
    }
}
