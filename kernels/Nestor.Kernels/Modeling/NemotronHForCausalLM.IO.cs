using Nestor.Checkpoint;
using Nestor.Checkpoint.Safetensors;
using static TorchSharp.torch;

namespace Nestor.Kernels;

public sealed partial class NemotronHForCausalLM
{
    /// <summary>Loads a checkpoint folder (see <see cref="Load(CheckpointDirectory, string?, ScalarType?, Device?)"/>).</summary>
    public static NemotronHForCausalLM Load(string folder, string? loadOnly = null, ScalarType? dtype = null, Device? device = null)
    {
        using var checkpoint = CheckpointDirectory.Open(folder);
        return Load(checkpoint, loadOnly, dtype, device);
    }

    /// <summary>
    /// Loads a checkpoint: every budget of its manifest over the full weights, or with <paramref name="loadOnly"/> one
    /// budget alone: the model is then built from the budget's sliced config and only the kept rows and columns are
    /// read (partial reads through the slice plan), so memory holds just that budget. Budgets are prepared.
    /// </summary>
    public static NemotronHForCausalLM Load(CheckpointDirectory checkpoint, string? loadOnly = null, ScalarType? dtype = null, Device? device = null)
    {
        var type = dtype ?? TensorIO.ToScalarType(checkpoint.Config.DType);
        NemotronHForCausalLM model;
        if (loadOnly is null)
        {
            model = new NemotronHForCausalLM(checkpoint.Config, checkpoint.Manifest, checkpoint.IsElastic, type, device ?? CPU);
            model.LoadHfTensors(name => TensorIO.Read(checkpoint.Weights, name));
        }
        else
        {
            var plan = SlicePlan.Create(checkpoint.Config, checkpoint.Manifest.Get(loadOnly));
            var manifest = ElasticManifest.Create(plan.Sliced, checkpoint.Manifest.Name, [ElasticBudget.Full(plan.Sliced, loadOnly)]);
            model = new NemotronHForCausalLM(plan.Sliced, manifest, isElastic: false, type, device ?? CPU);
            model.LoadHfTensors(name => TensorIO.ReadSlice(checkpoint.Weights, plan.ForTarget(name)));
        }

        model.PrepareBudgets();
        return model;
    }

    /// <summary>Fills every parameter from Hugging Face tensors by name (any dtype and device; converted on copy).</summary>
    public void LoadHfTensors(Func<string, Tensor> hf)
    {
        InvalidatePreparedBudgets();
        using var noGrad = no_grad();
        using (var scope = NewDisposeScope())
        {
            embeddings.copy_(hf(TensorLayout.Embeddings));
            lm_head.copy_(hf(TensorLayout.LmHead));
            norm_f.Weight.copy_(hf(TensorLayout.NormF));
        }

        foreach (var block in layers)
        {
            using var scope = NewDisposeScope();
            block.Norm.Weight.copy_(hf(TensorLayout.Layer(block.Index, "norm.weight")));
            LoadMixer(block, suffix => hf(TensorLayout.Layer(block.Index, "mixer." + suffix)));
        }
    }

    /// <summary>Every tensor in Hugging Face names and layout, in checkpoint order (new tensors, detached).</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> ExportHfTensors()
    {
        using var noGrad = no_grad();
        var result = new List<(string, Tensor)> { (TensorLayout.Embeddings, embeddings.detach().clone()) };
        foreach (var block in layers)
        {
            result.Add((TensorLayout.Layer(block.Index, "norm.weight"), block.Norm.Weight.detach().clone()));
            IReadOnlyList<(string Suffix, Tensor Tensor)> mixer = block.Type switch
            {
                LayerType.Mamba => block.Mamba.ExportHf(),
                LayerType.Attention => block.Attention.ExportHf(),
                _ => [("up_proj.weight", block.Mlp.UpProj.detach().clone()), ("down_proj.weight", block.Mlp.DownProj.detach().clone())],
            };
            result.AddRange(mixer.Select(m => (TensorLayout.Layer(block.Index, "mixer." + m.Suffix), m.Tensor.detach())));
        }

        result.Add((TensorLayout.NormF, norm_f.Weight.detach().clone()));
        result.Add((TensorLayout.LmHead, lm_head.detach().clone()));
        return result;
    }

    /// <summary>
    /// Writes config.json (torch_dtype = the model's dtype), elastic.json (for an elastic model) and the weights in
    /// Hugging Face layout into <paramref name="folder"/> (typically a staging folder, then
    /// <see cref="CheckpointPublisher.Publish"/>).
    /// </summary>
    public void SaveCheckpoint(string folder, long maxShardBytes = SafetensorsWriter.DefaultMaxShardBytes)
    {
        Directory.CreateDirectory(folder);
        var config = Config.With(("torch_dtype", TensorIO.ToTorchDtype(DType)));
        config.Save(Path.Combine(folder, NemotronHConfig.FileName));
        if (IsElastic)
        {
            ElasticManifest.Create(config, Manifest.Name, Manifest.Budgets, Manifest.LayerRanking).Save(Path.Combine(folder, ElasticManifest.FileName));
        }

        var tensors = ExportHfTensors();
        try
        {
            SafetensorsWriter.WriteCheckpoint(folder, [.. tensors.Select(t => TensorIO.ToWrite(t.Name, t.Tensor, DType))], maxShardBytes);
        }
        finally
        {
            foreach (var (_, tensor) in tensors)
            {
                tensor.Dispose();
            }
        }
    }

    /// <summary>
    /// Reorders channels, neurons and heads (importance order) in every affected tensor at once, so the logits do not
    /// change; prepared budget views are dropped.
    /// </summary>
    public void ApplyPermutation(ModelPermutation permutation)
    {
        var tensors = ExportHfTensors().ToDictionary(t => t.Name, t => t.Tensor, StringComparer.Ordinal);
        try
        {
            var permuted = permutation.Apply(Config, tensors);
            LoadHfTensors(name => permuted[name]);
        }
        finally
        {
            foreach (var tensor in tensors.Values)
            {
                tensor.Dispose();
            }
        }
    }
}
