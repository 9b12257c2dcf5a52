namespace Nestor.Checkpoint;

/// <summary>The mixer of one NemotronH layer, as written in <c>hybrid_override_pattern</c>.</summary>
public enum LayerType
{
    /// <summary><c>M</c>: a Mamba-2 mixer.</summary>
    Mamba,

    /// <summary><c>*</c>: grouped-query attention without position embedding.</summary>
    Attention,

    /// <summary><c>-</c>: the relu² MLP.</summary>
    Mlp,
}

public static class LayerTypes
{
    public static char ToPatternChar(this LayerType type) => type switch
    {
        LayerType.Mamba => 'M',
        LayerType.Attention => '*',
        LayerType.Mlp => '-',
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>The spelling of Hugging Face's <c>layers_block_type</c> list.</summary>
    public static string ToBlockTypeName(this LayerType type) => type switch
    {
        LayerType.Mamba => "mamba",
        LayerType.Attention => "attention",
        LayerType.Mlp => "mlp",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static LayerType? FromPatternChar(char c) => c switch
    {
        'M' => LayerType.Mamba,
        '*' => LayerType.Attention,
        '-' => LayerType.Mlp,
        _ => null,
    };

    public static LayerType? FromBlockTypeName(string name) => name switch
    {
        "mamba" => LayerType.Mamba,
        "attention" => LayerType.Attention,
        "mlp" => LayerType.Mlp,
        _ => null,
    };
}
