namespace Nestor.Checkpoint;

/// <summary>A tensor a checkpoint holds: Hugging Face name and shape.</summary>
public sealed record TensorSpec(string Name, IReadOnlyList<long> Shape)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
}

/// <summary>
/// The tensors of a NemotronH checkpoint, by Hugging Face name, in writing order. The writer, the loader's
/// validation and the slice plan all use this listing.
/// </summary>
public static class TensorLayout
{
    public const string Embeddings = "backbone.embeddings.weight";
    public const string NormF = "backbone.norm_f.weight";
    public const string LmHead = "lm_head.weight";

    public static string Layer(int layer, string suffix) => $"backbone.layers.{layer}.{suffix}";

    /// <summary>Every tensor of a checkpoint with this config.</summary>
    public static IReadOnlyList<TensorSpec> For(NemotronHConfig config)
    {
        long d = config.HiddenSize;
        var list = new List<TensorSpec> { new(Embeddings, [config.VocabSize, d]) };
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            list.AddRange(LayerTensors(config, i));
        }

        list.Add(new TensorSpec(NormF, [d]));
        list.Add(new TensorSpec(LmHead, [config.VocabSize, d]));
        return list;
    }

    /// <summary>The tensors of one layer.</summary>
    public static IEnumerable<TensorSpec> LayerTensors(NemotronHConfig config, int layer)
    {
        long d = config.HiddenSize;
        yield return new TensorSpec(Layer(layer, "norm.weight"), [d]);
        switch (config.LayerTypes[layer])
        {
            case LayerType.Mamba:
                long h = config.MambaNumHeads, inner = config.MambaIntermediateSize, conv = config.MambaConvDim;
                yield return new TensorSpec(Layer(layer, "mixer.in_proj.weight"), [inner + conv + h, d]);
                yield return new TensorSpec(Layer(layer, "mixer.conv1d.weight"), [conv, 1, config.ConvKernel]);
                if (config.UseConvBias)
                {
                    yield return new TensorSpec(Layer(layer, "mixer.conv1d.bias"), [conv]);
                }

                yield return new TensorSpec(Layer(layer, "mixer.A_log"), [h]);
                yield return new TensorSpec(Layer(layer, "mixer.D"), [h]);
                yield return new TensorSpec(Layer(layer, "mixer.dt_bias"), [h]);
                yield return new TensorSpec(Layer(layer, "mixer.norm.weight"), [inner]);
                yield return new TensorSpec(Layer(layer, "mixer.out_proj.weight"), [d, inner]);
                break;
            case LayerType.Attention:
                long q = (long)config.NumAttentionHeads * config.HeadDim, kv = (long)config.NumKeyValueHeads * config.HeadDim;
                yield return new TensorSpec(Layer(layer, "mixer.q_proj.weight"), [q, d]);
                yield return new TensorSpec(Layer(layer, "mixer.k_proj.weight"), [kv, d]);
                yield return new TensorSpec(Layer(layer, "mixer.v_proj.weight"), [kv, d]);
                yield return new TensorSpec(Layer(layer, "mixer.o_proj.weight"), [d, q]);
                break;
            default:
                yield return new TensorSpec(Layer(layer, "mixer.up_proj.weight"), [config.IntermediateSize, d]);
                yield return new TensorSpec(Layer(layer, "mixer.down_proj.weight"), [d, config.IntermediateSize]);
                break;
        }
    }
}
