namespace Nestor.Charts.Tests;

/// <summary>Value sets the chart is rendered with (as helm --set-json pairs).</summary>
public static class ChartValues
{
    public static readonly IReadOnlyDictionary<string, string> Default = new Dictionary<string, string>();

    /// <summary>Two replicas, two watched namespaces, monitoring, scheduling constraints, a pinned image.</summary>
    public static readonly IReadOnlyDictionary<string, string> Production = new Dictionary<string, string>
    {
        ["replicaCount"] = "2",
        ["watchNamespaces"] = """["ml-serving","ml-training"]""",
        ["logLevel"] = "\"Debug\"",
        ["workers"] = "4",
        ["image"] = """{"repository":"registry.example.com/nestor/nestor-operator","tag":"0.1.0","digest":"sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9","pullPolicy":"Always"}""",
        ["imagePullSecrets"] = """[{"name":"registry-credentials"}]""",
        ["runtimeImage"] = """{"repository":"registry.example.com/nestor/nestor-runtime","tag":"0.1.0-cuda12.8"}""",
        ["serviceAccount"] = """{"create":true,"name":"nestor-operator","annotations":{"example.com/role":"nestor"}}""",
        ["metrics"] = """{"port":9090,"service":{"enabled":true,"type":"ClusterIP","annotations":{"prometheus.io/scrape":"true"}},"serviceMonitor":{"enabled":true,"interval":"15s","scrapeTimeout":"5s","labels":{"release":"prometheus"}},"prometheusRule":{"enabled":true,"labels":{"release":"prometheus"}}}""",
        ["resources"] = """{"requests":{"cpu":"200m","memory":"256Mi"},"limits":{"cpu":"1","memory":"1Gi"}}""",
        ["nodeSelector"] = """{"kubernetes.io/os":"linux","node-role.example.com/system":"true"}""",
        ["tolerations"] = """[{"key":"dedicated","operator":"Equal","value":"system","effect":"NoSchedule"}]""",
        ["affinity"] = """{"podAntiAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":[{"topologyKey":"kubernetes.io/hostname","labelSelector":{"matchLabels":{"app.kubernetes.io/name":"nestor-operator"}}}]}}""",
        ["topologySpreadConstraints"] = """[{"maxSkew":1,"topologyKey":"topology.kubernetes.io/zone","whenUnsatisfiable":"ScheduleAnyway","labelSelector":{"matchLabels":{"app.kubernetes.io/name":"nestor-operator"}}}]""",
        ["priorityClassName"] = "\"system-cluster-critical\"",
        ["podAnnotations"] = """{"example.com/team":"ml-platform"}""",
        ["podLabels"] = """{"example.com/cost-center":"ml"}""",
        ["extraEnv"] = """[{"name":"DOTNET_gcServer","value":"0"}]""",
    };
}
