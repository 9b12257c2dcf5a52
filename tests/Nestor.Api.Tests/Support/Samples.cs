using k8s.Models;
using Nestor.Api.V1Alpha1;

namespace Nestor.Api.Tests.Support;

/// <summary>
/// Objects of every kind with every field set (one-of groups included, so they are not valid
/// objects: they are for round trips and for the check that no field is left untested). Their
/// status parts are what the operator writes and must pass the schema.
/// </summary>
public static class Samples
{
    private static readonly DateTime When = new(2026, 11, 28, 20, 15, 0, DateTimeKind.Utc);
    private const string Digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    public static ElasticModel ElasticModel() => new()
    {
        Metadata = new V1ObjectMeta { Name = "nemotron-12b", NamespaceProperty = "ml", Generation = 3 },
        Spec = new ElasticModelSpec
        {
            Source = new ModelSource
            {
                Checkpoint = new CheckpointLocation { Path = "checkpoints/nemotron-12b/sha256-0123", Digest = Digest },
                Uri = new UriSource { Url = "hf://nvidia/NVIDIA-Nemotron-Nano-12B-v2@main", SecretRef = new NameReference { Name = "hf-token" }, Digest = Digest },
                CompressionRunRef = new NameReference { Name = "nemotron-12b-elastify" },
            },
            WeightVolume = new WeightVolume
            {
                ClaimName = "weights",
                ClaimTemplate = new ClaimTemplate
                {
                    Size = new ResourceQuantity("200Gi"),
                    StorageClassName = "fast-rwx",
                    AccessModes = [VolumeAccessMode.ReadWriteMany, VolumeAccessMode.ReadOnlyMany],
                    ReclaimPolicy = ClaimReclaimPolicy.Delete,
                },
                MountPath = "/models",
            },
            Budgets = ["12b", "9b", "6b"],
            Runtime = new RuntimeDefaults
            {
                Image = "registry.example/nestor-runtime:0.1.0-cuda",
                ImagePullPolicy = ImagePullPolicy.IfNotPresent,
                ImagePullSecrets = [new V1LocalObjectReference { Name = "registry" }],
                Resources = Resources("8", "64Gi"),
                Gpu = Gpu(1),
                NodeSelector = new Dictionary<string, string> { ["node.kubernetes.io/instance-type"] = "p5.48xlarge" },
                Tolerations = [GpuToleration()],
                Affinity = Affinity(),
                Env = Env(),
                PriorityClassName = "inference-high",
            },
            Loader = new LoaderSpec { Resources = Resources("2", "8Gi"), BackoffLimit = 5, ActiveDeadlineSeconds = 7200 },
        },
        Status = new ElasticModelStatus
        {
            ObservedGeneration = 3,
            Conditions = [Condition(ElasticModelConditions.WeightsReady), Condition(ElasticModelConditions.Ready), Condition(ElasticModelConditions.Degraded, "False")],
            ClaimName = "weights",
            Checkpoint = new CheckpointStatus { Path = "checkpoints/nemotron-12b/sha256-0123", Digest = Digest, Source = "compressionrun/nemotron-12b-elastify", LoadedAt = When },
            Budgets =
            [
                new BudgetInfo { Name = "12b", Params = 12_310_001_152, Bytes = 24_620_002_304, Accuracy = 0.7741, Perplexity = 1.9 },
                new BudgetInfo { Name = "9b", Params = 9_000_000_000, Bytes = 18_000_000_000, Accuracy = 0.7595, Perplexity = 2.1 },
            ],
            Tiers = [new TierSummary { Name = "nemotron-9b", Budget = "9b", ReadyReplicas = 2, DesiredReplicas = 3, Ready = false }],
            LoaderJobName = "nemotron-12b-loader-5d8f",
            DigestShort = "0123456789ab",
            BudgetCount = 2,
            ReadyTiers = "0/1",
        },
    };

    public static BudgetTier BudgetTier() => new()
    {
        Metadata = new V1ObjectMeta { Name = "nemotron-9b", NamespaceProperty = "ml", Generation = 7 },
        Spec = new BudgetTierSpec
        {
            ModelRef = new NameReference { Name = "nemotron-12b" },
            Budget = "9b",
            Replicas = 2,
            MinReplicas = 2,
            MaxReplicas = 12,
            Autoscaling = new AutoscalingSpec
            {
                Enabled = false,
                TargetQueueDepthPerReplica = 16,
                TargetTtftP95Ms = 800,
                TargetE2eP95Ms = 20_000,
                LatencyWindowSeconds = 120,
                ScaleUpStabilizationSeconds = 5,
                ScaleDownStabilizationSeconds = 600,
                MaxScaleUpStep = 2,
                MaxScaleDownStep = 2,
                SyncPeriodSeconds = 2,
                MetricsStaleAfterSeconds = 30,
                OnMissingMetrics = MissingMetricsPolicy.ScaleToMax,
                AllowScaleToZero = true,
                IdleSecondsBeforeZero = 1800,
                MetricsSource = new MetricsSource
                {
                    Type = MetricsSourceType.Prometheus,
                    Prometheus = new PrometheusSource
                    {
                        Address = "http://prometheus-operated.monitoring.svc:9090",
                        QueueDepthQuery = "sum(nestor_requests_waiting{namespace=\"$namespace\"})",
                        TtftP95Query = "histogram_quantile(0.95, sum by (le) (rate(nestor_time_to_first_token_seconds_bucket[1m])))",
                        E2eP95Query = "histogram_quantile(0.95, sum by (le) (rate(nestor_e2e_request_latency_seconds_bucket[1m])))",
                    },
                },
            },
            LoadFullModel = true,
            Resources = Resources("4", "48Gi"),
            Gpu = Gpu(1),
            NodeSelector = new Dictionary<string, string> { ["pool"] = "l40s" },
            Tolerations = [GpuToleration()],
            Affinity = Affinity(),
            Env = Env(),
            Runtime = new TierRuntimeSettings { MaxBatch = 64, MaxQueue = 256, MaxPromptTokens = 8192, MaxTokens = 4096, ExtraArgs = ["--log-level", "debug"] },
            Service = new TierServiceSpec { Port = 80, Type = TierServiceType.LoadBalancer, Annotations = new Dictionary<string, string> { ["service.beta.kubernetes.io/aws-load-balancer-internal"] = "true" } },
            DegradeTo = "6b",
            TerminationGracePeriodSeconds = 300,
        },
        Status = new BudgetTierStatus
        {
            ObservedGeneration = 7,
            Conditions = [Condition(BudgetTierConditions.Ready), Condition(BudgetTierConditions.Scaling, reason: "ScalingUp"), Condition(BudgetTierConditions.Degraded, "False")],
            Replicas = 3,
            ReadyReplicas = 2,
            UpdatedReplicas = 3,
            DesiredReplicas = 4,
            Selector = "nestor.dev/tier=nemotron-9b",
            LastScaleTime = When,
            LastScaleReason = "queue 37 > 3 pods x 8",
            Metrics = new ObservedTierMetrics { Waiting = 21, Running = 16, TtftP95Ms = 912.5, E2eP95Ms = 14_020, SampledAt = When, PodsSampled = 2 },
            CheckpointDigest = Digest,
            Params = 9_000_000_000,
            ServedModel = "nemotron-12b@9b",
            Endpoint = "http://nemotron-9b.ml.svc:80/v1",
        },
    };

    public static CompressionRun CompressionRun() => new()
    {
        Metadata = new V1ObjectMeta { Name = "nemotron-12b-elastify", NamespaceProperty = "ml", Generation = 1 },
        Spec = new CompressionRunSpec
        {
            ParentModel = new ModelLocation
            {
                Checkpoint = new VolumePath { ClaimName = "weights", Path = "models/nemotron-12b" },
                Uri = new UriSource { Url = "s3://models-bucket/nemotron-12b/", SecretRef = new NameReference { Name = "s3" }, Digest = Digest },
            },
            Budgets =
            [
                new BudgetTarget { Name = "12b", TargetFraction = 1.0, TargetParams = 12_310_001_152 },
                new BudgetTarget { Name = "9b", TargetParams = 9_000_000_000 },
            ],
            Dataset = new DatasetSpec
            {
                Builtin = new BuiltinDataset { Task = "arith-chains", Options = new Dictionary<string, string> { ["length"] = "long" } },
                Volume = new VolumePath { ClaimName = "data", Path = "data/train.jsonl" },
                Uri = new DataUri { Url = "https://data.example/train.jsonl", SecretRef = new NameReference { Name = "data-token" } },
                Format = DatasetFormat.PromptCompletion,
            },
            Importance = new ImportanceSpec { CalibrationSamples = 1024, SequenceLength = 8192 },
            Router = new RouterSpec { Lambda = 2.0, TemperatureStart = 1.0, TemperatureEnd = 0.1, LearningRate = 0.02, HiddenSize = 128 },
            Distillation = new DistillationSpec
            {
                KlWeight = 1.0,
                CeWeight = 0.1,
                Temperature = 2.0,
                Teacher = new ModelLocation
                {
                    Checkpoint = new VolumePath { ClaimName = "weights", Path = "models/teacher" },
                    Uri = new UriSource { Url = "https://models.example/teacher.tar", SecretRef = new NameReference { Name = "http" }, Digest = Digest },
                },
            },
            Curriculum = new CurriculumSpec
            {
                Stages =
                [
                    new CurriculumStage { Name = "stage1", Steps = 1000, SequenceLength = 8192 },
                    new CurriculumStage { Name = "stage2", Steps = 500, SequenceLength = 49152, BudgetWeights = [0.6, 0.4] },
                ],
            },
            Optimizer = new OptimizerSpec { LearningRate = 9e-5, BatchSize = 256, WarmupSteps = 50, WeightDecay = 0.01, Seed = 42 },
            Resources = new TrainingResources
            {
                Nodes = 2,
                Gpu = Gpu(8),
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("64"), ["memory"] = new("1Ti") },
                Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("1Ti") },
                NodeSelector = new Dictionary<string, string> { ["pool"] = "h100" },
                Tolerations = [GpuToleration()],
                Affinity = Affinity(),
                PriorityClassName = "training",
            },
            Trainer = new TrainerSpec
            {
                Image = "registry.example/megatron-elastic:25.01",
                ImagePullPolicy = ImagePullPolicy.Always,
                ImagePullSecrets = [new V1LocalObjectReference { Name = "registry" }],
                Command = ["torchrun"],
                Args = ["--nproc-per-node=8", "elastify.py"],
                Env = Env(),
                ServiceAccountName = "trainer",
            },
            Output = new CompressionOutput
            {
                ElasticModelRef = new NameReference { Name = "nemotron-12b" },
                Volume = new OutputVolume { ClaimName = "weights", Path = "checkpoints/nemotron-12b" },
            },
            CheckpointIntervalSteps = 50,
            BackoffLimit = 6,
            Suspend = true,
            ActiveDeadlineSeconds = 172_800,
        },
        Status = new CompressionRunStatus
        {
            ObservedGeneration = 1,
            Phase = CompressionRunPhase.TrainingStage2,
            Conditions = [Condition(CompressionRunConditions.Running), Condition(CompressionRunConditions.Suspended, "False")],
            Progress = new TrainingProgress
            {
                Stage = 2,
                Step = 1200,
                TotalSteps = 1500,
                Tokens = 2_516_582_400,
                LossByBudget = new Dictionary<string, double> { ["12b"] = 0.91, ["9b"] = 1.07 },
                EtaSeconds = 3600,
                UpdatedAt = When,
                Message = "stage 2",
            },
            JobName = "nemotron-12b-elastify-trainer",
            StartTime = When,
            CompletionTime = When.AddHours(5),
            Result = new CompressionResult
            {
                ClaimName = "weights",
                CheckpointPath = "checkpoints/nemotron-12b/sha256-0123",
                Digest = Digest,
                Evaluation = new Dictionary<string, BudgetEvaluation>
                {
                    ["12b"] = new() { Params = 12_310_001_152, Accuracy = 0.77, Perplexity = 1.9 },
                    ["9b"] = new() { Params = 9_000_000_000, Accuracy = 0.76, Perplexity = 2.1 },
                },
            },
        },
    };

    private static V1ResourceRequirements Resources(string cpu, string memory) => new()
    {
        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpu), ["memory"] = new(memory) },
        Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new(memory) },
    };

    private static GpuSpec Gpu(int count) => new() { Count = count, ResourceName = "nvidia.com/gpu", Product = "NVIDIA-H100-80GB-HBM3", ProductLabel = "nvidia.com/gpu.product" };

    private static V1Toleration GpuToleration() => new() { Key = "nvidia.com/gpu", OperatorProperty = "Exists", Effect = "NoSchedule" };

    private static V1Affinity Affinity() => new()
    {
        NodeAffinity = new V1NodeAffinity
        {
            RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector
            {
                NodeSelectorTerms = [new V1NodeSelectorTerm { MatchExpressions = [new V1NodeSelectorRequirement { Key = "nvidia.com/gpu.memory", OperatorProperty = "Gt", Values = ["40000"] }] }],
            },
        },
        PodAntiAffinity = new V1PodAntiAffinity
        {
            PreferredDuringSchedulingIgnoredDuringExecution =
            [
                new V1WeightedPodAffinityTerm
                {
                    Weight = 50,
                    PodAffinityTerm = new V1PodAffinityTerm
                    {
                        TopologyKey = "kubernetes.io/hostname",
                        LabelSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "nestor-runtime" } },
                    },
                },
            ],
        },
    };

    private static List<V1EnvVar> Env() =>
    [
        new() { Name = "NESTOR_LOG_LEVEL", Value = "info" },
        new() { Name = "HF_TOKEN", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "hf-token", Key = "token" } } },
    ];

    private static V1Condition Condition(string type, string status = "True", string reason = "AsExpected") => new()
    {
        Type = type,
        Status = status,
        Reason = reason,
        Message = $"{type} is {status}",
        LastTransitionTime = When,
        ObservedGeneration = 3,
    };
}
