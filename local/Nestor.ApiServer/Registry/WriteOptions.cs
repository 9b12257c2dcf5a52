namespace Nestor.ApiServer.Registry;

/// <summary>fieldValidation: what to do with unknown fields (kube-apiserver's default is Warn).</summary>
internal enum FieldValidation
{
    Ignore,
    Warn,
    Strict,
}

/// <summary>Options of one write request, and the warnings it produces (sent as Warning headers).</summary>
internal sealed class WriteOptions
{
    public bool DryRun { get; init; }

    public string? FieldManager { get; init; }

    public FieldValidation FieldValidation { get; init; } = FieldValidation.Warn;

    public bool Force { get; init; }

    public string Manager => FieldManager ?? "unknown";

    public List<string> Warnings { get; } = [];

    public static WriteOptions System(string manager) => new() { FieldManager = manager, FieldValidation = FieldValidation.Ignore };
}

/// <summary>DELETE options (query parameters or a DeleteOptions body).</summary>
internal sealed class DeleteOptions
{
    public Resources.PropagationPolicy? PropagationPolicy { get; init; }

    public string? PreconditionUid { get; init; }

    public string? PreconditionResourceVersion { get; init; }

    public bool DryRun { get; init; }
}

/// <summary>List options: selectors, pagination and resource version semantics.</summary>
internal sealed class ListOptions
{
    public Selectors.LabelSelector LabelSelector { get; init; } = Selectors.LabelSelector.Everything;

    public Selectors.FieldSelector FieldSelector { get; init; } = Selectors.FieldSelector.Everything;

    public int? Limit { get; init; }

    public string? Continue { get; init; }

    public string? ResourceVersion { get; init; }

    public string? ResourceVersionMatch { get; init; }
}
