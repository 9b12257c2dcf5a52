using k8s.Models;
using Nestor.Api.V1Alpha1;

namespace Nestor.Operator.Tests.Controllers;

/// <summary>Small Nestor objects for the controller tests.</summary>
public static class Objects
{
    public static ElasticModel Model(string name, string path = "imports/tiny", IList<string>? budgets = null, string? runName = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new ElasticModelSpec
        {
            Source = runName is null
                ? new ModelSource { Checkpoint = new CheckpointLocation { Path = path } }
                : new ModelSource { CompressionRunRef = new NameReference { Name = runName } },
            WeightVolume = new WeightVolume { ClaimTemplate = new ClaimTemplate { Size = new ResourceQuantity("1Gi") } },
            Budgets = budgets,
            Runtime = new RuntimeDefaults { Gpu = new GpuSpec { Count = 1, Product = "NVIDIA-H100" } },
        },
    };

    public static BudgetTier Tier(string name, string model, string budget, int? replicas = null, AutoscalingSpec? autoscaling = null, int? max = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new BudgetTierSpec
        {
            ModelRef = new NameReference { Name = model },
            Budget = budget,
            Replicas = replicas,
            MaxReplicas = max,
            Autoscaling = autoscaling,
        },
    };

    public static CompressionRun Run(string name, string model, int nodes = 1) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["kueue.x-k8s.io/queue-name"] = "gpu" } },
        Spec = new CompressionRunSpec
        {
            ParentModel = new ModelLocation { Checkpoint = new VolumePath { Path = "models/teacher" } },
            Budgets = [new BudgetTarget { Name = "full", TargetFraction = 1.0 }, new BudgetTarget { Name = "b50", TargetFraction = 0.5 }],
            Dataset = new DatasetSpec { Builtin = new BuiltinDataset { Task = "arith-chains" } },
            Output = new CompressionOutput { ElasticModelRef = new NameReference { Name = model } },
            Resources = new TrainingResources { Nodes = nodes, Gpu = new GpuSpec { Count = 8 } },
            Trainer = nodes > 1 ? new TrainerSpec { Image = "example/trainer:1", Command = ["torchrun-nestor"] } : null,
        },
    };
}
