namespace Nestor.Checkpoint.Safetensors;

/// <summary>The tensor element types Nestor reads and writes (safetensors spelling).</summary>
public enum DType
{
    F32,
    BF16,
    F16,
}

public static class DTypes
{
    public static int Size(this DType dtype) => dtype switch
    {
        DType.F32 => 4,
        DType.BF16 or DType.F16 => 2,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };

    public static string ToHeaderString(this DType dtype) => dtype.ToString();

    public static DType? TryParse(string text) => text switch
    {
        "F32" => DType.F32,
        "BF16" => DType.BF16,
        "F16" => DType.F16,
        _ => null,
    };

    /// <summary>From a Hugging Face <c>torch_dtype</c>: float32, bfloat16, float16.</summary>
    public static DType FromTorchDtype(string torchDtype) => torchDtype switch
    {
        "float32" => DType.F32,
        "bfloat16" => DType.BF16,
        "float16" => DType.F16,
        _ => throw new ArgumentException($"unsupported torch_dtype \"{torchDtype}\"", nameof(torchDtype)),
    };

    public static string ToTorchDtype(this DType dtype) => dtype switch
    {
        DType.F32 => "float32",
        DType.BF16 => "bfloat16",
        DType.F16 => "float16",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype)),
    };
}
