using Nestor.Checkpoint;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// Grouped-query attention without position embedding (NemotronHAttention): softmax(q·kᵀ/√hd) v over the causal
/// past, query head g·r + j attending with KV head g, no bias. Stored in Hugging Face layout.
/// </summary>
public sealed class GroupedQueryAttention : nn.Module
{
#pragma warning disable IDE1006 // parameter names follow the checkpoint's
    private readonly Parameter q_proj; // [nh·hd, d]
    private readonly Parameter k_proj; // [nkv·hd, d]
    private readonly Parameter v_proj; // [nkv·hd, d]
    private readonly Parameter o_proj; // [d, nh·hd]
#pragma warning restore IDE1006

    private readonly int _headDim, _headsPerGroup;

    public GroupedQueryAttention(string name, NemotronHConfig config, ScalarType dtype, Device device) : base(name)
    {
        _headDim = config.HeadDim;
        _headsPerGroup = config.AttentionHeadsPerGroup;
        long d = config.HiddenSize, q = (long)config.NumAttentionHeads * _headDim, kv = (long)config.NumKeyValueHeads * _headDim;
        q_proj = nn.Parameter(empty(q, d, dtype, device));
        k_proj = nn.Parameter(empty(kv, d, dtype, device));
        v_proj = nn.Parameter(empty(kv, d, dtype, device));
        o_proj = nn.Parameter(empty(d, q, dtype, device));
        RegisterComponents();
    }

    public int HeadDim => _headDim;

    public Parameter QProj => q_proj;

    public Parameter KProj => k_proj;

    public Parameter VProj => v_proj;

    public Parameter OProj => o_proj;

    /// <summary>
    /// The weights for the first <paramref name="kvHeads"/> KV heads with their first <paramref name="headsPerGroup"/>
    /// query heads each. Views when whole groups are kept; otherwise Q and O rows/columns are gathered into new tensors.
    /// </summary>
    public AttentionView View(int hidden, int kvHeads, int headsPerGroup, bool detached = false)
    {
        long kv = (long)kvHeads * _headDim;
        Tensor S(Tensor p) => Prefix.Source(p, detached);
        Tensor q, o;
        if (headsPerGroup == _headsPerGroup)
        {
            q = Prefix.Of(S(q_proj), kv * headsPerGroup, hidden);
            o = Prefix.Of(S(o_proj), hidden, kv * headsPerGroup);
        }
        else
        {
            var rows = QueryRows(kvHeads, headsPerGroup, q_proj.device);
            q = S(q_proj).index_select(0, rows).narrow(1, 0, hidden).contiguous();
            o = S(o_proj).narrow(0, 0, hidden).index_select(1, rows);
        }

        return new AttentionView(q, Prefix.Of(S(k_proj), kv, hidden), Prefix.Of(S(v_proj), kv, hidden), o, kvHeads, headsPerGroup);
    }

    /// <summary>Projects to q [b, L, nkv', r', hd], k and v [b, L, nkv', hd].</summary>
    public (Tensor Q, Tensor K, Tensor V) Project(AttentionView w, Tensor x)
    {
        long batch = x.shape[0], length = x.shape[1];
        var q = Linear.Apply(x, w.Q).view(batch, length, w.KeyValueHeads, w.HeadsPerGroup, _headDim);
        var k = Linear.Apply(x, w.K).view(batch, length, w.KeyValueHeads, _headDim);
        var v = Linear.Apply(x, w.V).view(batch, length, w.KeyValueHeads, _headDim);
        return (q, k, v);
    }

    /// <summary>A whole sequence attending causally to itself (training, full recompute).</summary>
    /// <param name="w">the budget's weights.</param>
    /// <param name="x">[b, L, d'].</param>
    /// <param name="headMask">[nkv·r] mask over query heads (masked execution), or null.</param>
    public Tensor Forward(AttentionView w, Tensor x, Tensor? headMask = null)
    {
        var (q, k, v) = Project(w, x);
        long length = x.shape[1];
        var causal = ones(length, length, dtype: ScalarType.Bool, device: x.device).tril();
        var attended = Attend(q, k, v, causal);
        return Output(w, attended, headMask);
    }

    /// <summary>
    /// softmax(q·kᵀ·scale) v, per KV group. <paramref name="allowed"/> is [L, Lk] or [b, L, Lk] (true where query t may
    /// see key s), or null for all. Returns [b, L, nkv, r, hd].
    /// </summary>
    public Tensor Attend(Tensor q, Tensor k, Tensor v, Tensor? allowed)
    {
        long batch = q.shape[0], length = q.shape[1], groups = q.shape[2], r = q.shape[3], keys = k.shape[1];
        var qh = q.permute(0, 2, 3, 1, 4).reshape(batch, groups, r * length, _headDim);    // [b, g, r·L, hd]
        var kh = k.permute(0, 2, 3, 1);                                                      // [b, g, hd, Lk]
        var vh = v.permute(0, 2, 1, 3);                                                      // [b, g, Lk, hd]
        var scores = qh.matmul(kh).mul_(1.0 / Math.Sqrt(_headDim)).view(batch, groups, r, length, keys);
        if (allowed is not null)
        {
            var mask = allowed.dim() == 2 ? allowed.view(1, 1, 1, length, keys) : allowed.view(batch, 1, 1, length, keys);
            scores = scores.masked_fill(mask.logical_not(), double.NegativeInfinity);
        }

        var weights = scores.softmax(-1, ScalarType.Float32).to(q.dtype).view(batch, groups, r * length, keys);
        var output = weights.matmul(vh).view(batch, groups, r, length, _headDim);           // [b, g, r, L, hd]
        return output.permute(0, 3, 1, 2, 4);                                                 // [b, L, g, r, hd]
    }

    /// <summary>Head mask (masked execution) and o_proj. <paramref name="attended"/>: [b, L, nkv, r, hd].</summary>
    public Tensor Output(AttentionView w, Tensor attended, Tensor? headMask)
    {
        if (headMask is not null)
        {
            attended = attended * headMask.view(w.KeyValueHeads, w.HeadsPerGroup, 1);
        }

        return Linear.Apply(attended.flatten(2), w.O);
    }

    /// <summary>Fills the parameters from Hugging Face tensors (suffixes after "mixer.").</summary>
    public void LoadHf(Func<string, Tensor> hf)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (suffix, parameter) in Named())
        {
            parameter.copy_(hf(suffix));
        }
    }

    public IReadOnlyList<(string Suffix, Tensor Tensor)> ExportHf()
    {
        using var noGrad = no_grad();
        return [.. Named().Select(n => (n.Suffix, n.Parameter.detach().clone()))];
    }

    private IEnumerable<(string Suffix, Tensor Parameter)> Named() =>
        [("q_proj.weight", q_proj), ("k_proj.weight", k_proj), ("v_proj.weight", v_proj), ("o_proj.weight", o_proj)];

    // Rows of q_proj (= columns of o_proj) for the first r' query heads of each of the first nkv' KV heads.
    private Tensor QueryRows(int kvHeads, int headsPerGroup, Device device)
    {
        var rows = new List<long>();
        for (int g = 0; g < kvHeads; g++)
        {
            for (int j = 0; j < headsPerGroup; j++)
            {
                long head = ((long)g * _headsPerGroup) + j;
                for (int p = 0; p < _headDim; p++)
                {
                    rows.Add((head * _headDim) + p);
                }
            }
        }

        return tensor(rows.ToArray(), device: device);
    }
}
