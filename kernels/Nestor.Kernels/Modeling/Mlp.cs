using Nestor.Checkpoint;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>The NemotronH MLP: <c>down(relu(up(x))²)</c>, no gate, no bias.</summary>
public sealed class Mlp : nn.Module
{
#pragma warning disable IDE1006 // parameter names follow the checkpoint's
    private readonly Parameter up_proj;   // [F, d]
    private readonly Parameter down_proj; // [d, F]
#pragma warning restore IDE1006

    public Mlp(string name, NemotronHConfig config, ScalarType dtype, Device device) : base(name)
    {
        up_proj = nn.Parameter(empty(config.IntermediateSize, config.HiddenSize, dtype, device));
        down_proj = nn.Parameter(empty(config.HiddenSize, config.IntermediateSize, dtype, device));
        RegisterComponents();
    }

    public Parameter UpProj => up_proj;

    public Parameter DownProj => down_proj;

    public MlpView View(int hidden, int intermediate, bool detached = false) =>
        new(Prefix.Of(Prefix.Source(up_proj, detached), intermediate, hidden), Prefix.Of(Prefix.Source(down_proj, detached), hidden, intermediate));

    /// <param name="w">the budget's weights.</param>
    /// <param name="x">[..., d'].</param>
    /// <param name="neuronMask">[F] mask over FFN neurons (masked execution), or null.</param>
    public static Tensor Forward(MlpView w, Tensor x, Tensor? neuronMask = null)
    {
        var h = nn.functional.relu(Linear.Apply(x, w.Up));
        h = h.square();
        if (neuronMask is not null)
        {
            h = h * neuronMask;
        }

        return Linear.Apply(h, w.Down);
    }
}
