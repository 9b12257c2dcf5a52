using Nestor.Checkpoint;
using Nestor.Checkpoint.Safetensors;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// Logits Nestor computed, for comparison with another implementation (tools/hf_compare.py runs Hugging Face
/// transformers on the same inputs). A safetensors file, <c>nestor_logits.safetensors</c> beside the checkpoint:
/// <c>input_ids</c> F32 [b, L] (token ids, exact below 2^24), <c>logits</c> F32 [b, L, V]; <c>__metadata__</c>:
/// <c>format</c> = <c>nestor-logits</c>, <c>budget</c>, <c>dtype</c> (the dtype the model ran in), <c>torch_dtype</c>
/// of the checkpoint.
/// </summary>
public static class LogitsDump
{
    public const string FileName = "nestor_logits.safetensors";
    public const string Format = "nestor-logits";

    /// <summary>Runs the plain checkpoint in <paramref name="folder"/> on <paramref name="inputIds"/> [b, L] and writes the dump there.</summary>
    public static string Write(string folder, Tensor inputIds)
    {
        using var model = NemotronHForCausalLM.Load(folder, dtype: ScalarType.Float32);
        using var noGrad = no_grad();
        using var logits = model.Forward(inputIds, model.Manifest.Default.Name);
        var path = Path.Combine(folder, FileName);
        var metadata = new Dictionary<string, string>
        {
            ["format"] = Format,
            ["budget"] = model.Manifest.Default.Name,
            ["dtype"] = "float32",
            ["torch_dtype"] = model.Config.TorchDtype,
        };
        using var ids = inputIds.to(ScalarType.Float32);
        SafetensorsWriter.WriteFile(path, [TensorIO.ToWrite("input_ids", ids), TensorIO.ToWrite("logits", logits)], metadata);
        return path;
    }

    /// <summary>Reads a dump: input ids [b, L] (int64) and logits [b, L, V].</summary>
    public static (Tensor InputIds, Tensor Logits) Read(string path)
    {
        using var file = SafetensorsFile.Open(path);
        if (file.Metadata.GetValueOrDefault("format") != Format)
        {
            throw new CheckpointFormatException(path, $"not a logits dump (__metadata__ format is not \"{Format}\")");
        }

        Tensor Get(string name)
        {
            var info = file.Info(name);
            var t = empty([.. info.Shape], TensorIO.ToScalarType(info.DType));
            file.CopyTo(name, TensorIO.Pointer(t), info.ByteLength);
            return t;
        }

        return (Get("input_ids").to(ScalarType.Int64), Get("logits"));
    }
}
