using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>Prefix views of parameters: the parameter itself when nothing is cut (so autograd sees the leaf).</summary>
internal static class Prefix
{
    public static Tensor Of(Tensor t, long size0) => size0 == t.shape[0] ? t : t.narrow(0, 0, size0);

    public static Tensor Of(Tensor t, long size0, long size1)
    {
        var rows = Of(t, size0);
        return size1 == t.shape[1] ? rows : rows.narrow(1, 0, size1);
    }

    /// <summary>The parameter itself (autograd), or a detached alias sharing its storage (serving views).</summary>
    public static Tensor Source(Tensor parameter, bool detached) => detached ? parameter.detach() : parameter;
}
