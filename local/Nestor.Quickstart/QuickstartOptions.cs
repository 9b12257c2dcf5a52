namespace Nestor.Quickstart;

/// <summary>Settings of one run of the quickstart scenario. The defaults are `make run`'s; the end-to-end test shrinks them.</summary>
public sealed record QuickstartOptions
{
    /// <summary>The repository (crds/, examples/quickstart/, models/tiny-teacher/, the built binaries).</summary>
    public required string RepositoryRoot { get; init; }

    /// <summary>Where the cluster keeps its kubeconfig, volumes, pods and logs; emptied at start.</summary>
    public string DataDirectory { get; init; } = ".nestor/run";

    /// <summary>Build configuration of the nestor and nestor-operator binaries that the images map to.</summary>
    public string Configuration { get; init; } = "Debug";

    public string Namespace { get; init; } = "default";

    /// <summary>Exit after the scenario instead of serving until Ctrl-C.</summary>
    public bool RunOnce { get; init; }

    /// <summary>Steps per curriculum stage, replacing the example's (null keeps them).</summary>
    public IReadOnlyList<int>? StageSteps { get; init; }

    /// <summary>Sequence length per curriculum stage, replacing the example's (null keeps them).</summary>
    public IReadOnlyList<int>? StageSequenceLengths { get; init; }

    /// <summary>Sequences per training step, replacing the example's (null keeps it).</summary>
    public int? BatchSize { get; init; }

    /// <summary>Calibration samples for importance estimation, replacing the example's (null keeps it).</summary>
    public int? CalibrationSamples { get; init; }

    /// <summary>Every tier's scale-down stabilisation window, replacing the example's (null keeps it).</summary>
    public int? ScaleDownStabilizationSeconds { get; init; }

    /// <summary>The tier the burst goes to.</summary>
    public string BurstTier { get; init; } = "tiny-b50";

    /// <summary>Concurrent clients of the burst.</summary>
    public int BurstConcurrency { get; init; } = 32;

    /// <summary>How long the burst lasts at most (it stops early once the tier has scaled up and the new pods are ready).</summary>
    public TimeSpan BurstDuration { get; init; } = TimeSpan.FromSeconds(60);

    public int BurstMaxTokens { get; init; } = 48;

    /// <summary>The whole scripted scenario must finish within this.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>How often the live summary is redrawn (printed when it changed, and at least every 30 s).</summary>
    public TimeSpan SummaryInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Wait for the scale-down after the burst (the example's window is 60 s).</summary>
    public bool WaitForScaleDown { get; init; } = true;
}
