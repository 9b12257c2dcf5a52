using Nestor.Checkpoint;
using TorchSharp;
using static TorchSharp.torch;

namespace Nestor.Kernels.Tests;

/// <summary>
/// A deliberately naive NemotronH forward written from the Hugging Face description, on Hugging Face tensors and
/// layout (in_proj rows z | xBC | dt, heads group-major, group norm over contiguous I/G channels, repeat_kv), with a
/// token-by-token Mamba recurrence. It shares no code with the kernels, so agreement checks the execution layout,
/// the permutations and the slicing against the checkpoint format's meaning.
/// </summary>
internal static class HfReference
{
    public static Tensor Logits(NemotronHConfig c, IReadOnlyDictionary<string, Tensor> w, long[] ids)
    {
        Tensor W(string name) => w[name].to(ScalarType.Float32);
        int length = ids.Length;
        var h = W(TensorLayout.Embeddings).index_select(0, tensor(ids));                // [L, d]
        for (int i = 0; i < c.NumHiddenLayers; i++)
        {
            string P(string s) => TensorLayout.Layer(i, s);
            var x = RmsNorm(h, W(P("norm.weight")), c.LayerNormEpsilon);
            var update = c.LayerTypes[i] switch
            {
                LayerType.Mamba => Mamba(c, x, s => W(P("mixer." + s))),
                LayerType.Attention => Attention(c, x, s => W(P("mixer." + s))),
                _ => Mlp(x, s => W(P("mixer." + s))),
            };
            h = h + update;
        }

        h = RmsNorm(h, W(TensorLayout.NormF), c.LayerNormEpsilon);
        return h.matmul(W(TensorLayout.LmHead).t());                                   // [L, V]
    }

    private static Tensor RmsNorm(Tensor x, Tensor weight, double eps) =>
        weight * x * (x.pow(2).mean([-1], keepdim: true) + eps).rsqrt();

    private static Tensor Mlp(Tensor x, Func<string, Tensor> w) =>
        nn.functional.relu(x.matmul(w("up_proj.weight").t())).pow(2).matmul(w("down_proj.weight").t());

    private static Tensor Attention(NemotronHConfig c, Tensor x, Func<string, Tensor> w)
    {
        long length = x.shape[0], hd = c.HeadDim, nh = c.NumAttentionHeads, nkv = c.NumKeyValueHeads;
        var q = x.matmul(w("q_proj.weight").t()).view(length, nh, hd);
        var k = x.matmul(w("k_proj.weight").t()).view(length, nkv, hd).repeat_interleave(nh / nkv, 1); // repeat_kv
        var v = x.matmul(w("v_proj.weight").t()).view(length, nkv, hd).repeat_interleave(nh / nkv, 1);
        var scores = einsum("thd,shd->hts", q, k) / Math.Sqrt(hd);
        var future = ones(length, length, dtype: ScalarType.Bool).triu(1);
        var probabilities = scores.masked_fill(future, double.NegativeInfinity).softmax(-1);
        var output = einsum("hts,shd->thd", probabilities, v).reshape(length, nh * hd);
        return output.matmul(w("o_proj.weight").t());
    }

    private static Tensor Mamba(NemotronHConfig c, Tensor x, Func<string, Tensor> w)
    {
        long length = x.shape[0], heads = c.MambaNumHeads, p = c.MambaHeadDim, groups = c.NGroups, n = c.SsmStateSize;
        long inner = heads * p, conv = c.MambaConvDim, kernel = c.ConvKernel;
        var projected = x.matmul(w("in_proj.weight").t());                              // [L, I + conv + H]
        var z = projected.narrow(1, 0, inner);
        var xbc = projected.narrow(1, inner, conv);
        var dtRaw = projected.narrow(1, inner + conv, heads);

        // Causal depthwise conv, written as a sum over the kernel taps.
        var convWeight = w("conv1d.weight").squeeze(1);                                // [conv, K]
        var convOut = w("conv1d.bias").unsqueeze(0).expand(length, conv).clone();
        for (long j = 0; j < kernel; j++)
        {
            long shift = kernel - 1 - j;                                                 // tap j reads t − shift
            if (shift >= length)
            {
                continue;
            }

            var shifted = nn.functional.pad(xbc, [0, 0, shift, 0]).narrow(0, 0, length);
            convOut = convOut + (shifted * convWeight.select(1, j));
        }

        xbc = nn.functional.silu(convOut);
        var xs = xbc.narrow(1, 0, inner).view(length, heads, p);
        var b = xbc.narrow(1, inner, groups * n).view(length, groups, n).repeat_interleave(heads / groups, 1);  // head h → group h/(H/G)
        var cc = xbc.narrow(1, inner + (groups * n), groups * n).view(length, groups, n).repeat_interleave(heads / groups, 1);
        var dt = nn.functional.softplus(dtRaw + w("dt_bias"));                          // [L, H]
        var a = -w("A_log").exp();                                                       // [H]
        var d = w("D");

        var state = zeros(heads, p, n);
        var ys = new List<Tensor>();
        for (long t = 0; t < length; t++)
        {
            var dtT = dt[t];
            state = (state * (dtT * a).exp().view(heads, 1, 1)) + (dtT.view(heads, 1, 1) * einsum("hp,hn->hpn", xs[t], b[t]));
            ys.Add(einsum("hpn,hn->hp", state, cc[t]) + (d.view(heads, 1) * xs[t]));
        }

        var y = stack(ys, 0).reshape(length, inner);
        var gated = y * nn.functional.silu(z);
        var grouped = gated.view(length, groups, inner / groups);                         // group_size = I / G
        var normed = (grouped * (grouped.pow(2).mean([-1], keepdim: true) + c.LayerNormEpsilon).rsqrt()).reshape(length, inner);
        return (normed * w("norm.weight")).matmul(w("out_proj.weight").t());
    }
}
