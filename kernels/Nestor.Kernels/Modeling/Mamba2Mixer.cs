using Nestor.Checkpoint;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>
/// The Mamba-2 mixer: <c>in_proj(h)</c> → z | xBC | dt; xBC through a causal depthwise conv and silu, split into
/// x (heads × P), B and C (groups × N); the SSD scan with dt = softplus(dt + dt_bias), A = −exp(A_log) and the D skip;
/// the gated group RMSNorm with z; <c>out_proj</c>.
/// </summary>
/// <remarks>
/// <para>Execution layout. Hugging Face stores heads group-major (head = group·Hg + rank) and in_proj rows as
/// z | x | B | C | dt. A budget keeping k heads per group then keeps G separate ranges. Nestor stores the same
/// numbers permuted so that every budget is a prefix of every tensor: heads rank-major (head i = rank·G + group),
/// in_proj split into <c>in_proj_bcx</c> (rows B | C | x), <c>in_proj_z</c> and <c>in_proj_dt</c>, conv channels
/// B | C | x. A budget's weights are then narrow views, and its conv and SSM cache are prefixes too.
/// <see cref="LoadHf"/> and <see cref="ExportHf"/> convert.</para>
/// <para>Masked execution multiplies the scan output of each head by its mask (one value per rank within a group,
/// the same in every group) and normalises the gated norm by the kept mass.</para>
/// </remarks>
public sealed class Mamba2Mixer : nn.Module
{
#pragma warning disable IDE1006 // parameter names follow the checkpoint's
    private readonly Parameter in_proj_bcx;  // [2GN + I, d]  rows: B | C | x (rank-major heads)
    private readonly Parameter in_proj_z;    // [I, d]
    private readonly Parameter in_proj_dt;   // [H, d]
    private readonly Parameter conv_weight;  // [2GN + I, K]
    private readonly Parameter? conv_bias;   // [2GN + I]
    private readonly Parameter A_log;        // [H]
    private readonly Parameter D;            // [H]
    private readonly Parameter dt_bias;      // [H]
    private readonly Parameter norm_weight;  // [I]
    private readonly Parameter out_proj;     // [d, I]
#pragma warning restore IDE1006

    private readonly int _groups, _headsPerGroup, _headDim, _stateSize, _kernel, _chunkSize;
    private readonly double _eps, _dtMin, _dtMax;

    public Mamba2Mixer(string name, NemotronHConfig config, ScalarType dtype, Device device) : base(name)
    {
        _groups = config.NGroups;
        _headsPerGroup = config.MambaHeadsPerGroup;
        _headDim = config.MambaHeadDim;
        _stateSize = config.SsmStateSize;
        _kernel = config.ConvKernel;
        _chunkSize = config.ChunkSize;
        _eps = config.LayerNormEpsilon;
        (_dtMin, _dtMax) = config.TimeStepLimit;
        long d = config.HiddenSize, h = config.MambaNumHeads, inner = config.MambaIntermediateSize, conv = config.MambaConvDim;
        in_proj_bcx = nn.Parameter(empty(conv, d, dtype, device));
        in_proj_z = nn.Parameter(empty(inner, d, dtype, device));
        in_proj_dt = nn.Parameter(empty(h, d, dtype, device));
        conv_weight = nn.Parameter(empty(conv, _kernel, dtype, device));
        conv_bias = config.UseConvBias ? nn.Parameter(empty(conv, dtype, device)) : null;
        A_log = nn.Parameter(empty(h, dtype, device));
        D = nn.Parameter(empty(h, dtype, device));
        dt_bias = nn.Parameter(empty(h, dtype, device));
        norm_weight = nn.Parameter(empty(inner, dtype, device));
        out_proj = nn.Parameter(empty(d, inner, dtype, device));
        RegisterComponents();
    }

    /// <summary>2·G·N: the B and C channels, always kept whole.</summary>
    public int GroupStateChannels => 2 * _groups * _stateSize;

    public int ConvKernel => _kernel;

    /// <summary>
    /// The weights for d' hidden channels and k heads per group: narrow views, no copies. <paramref name="detached"/>
    /// views alias the storage without autograd (serving); otherwise gradients flow to the parameters.
    /// </summary>
    public MambaView View(int hidden, int headsPerGroup, bool detached = false)
    {
        long heads = (long)headsPerGroup * _groups, inner = heads * _headDim, conv = GroupStateChannels + inner;
        Tensor S(Tensor p) => Prefix.Source(p, detached);
        return new MambaView(
            Prefix.Of(S(in_proj_bcx), conv, hidden), Prefix.Of(S(in_proj_z), inner, hidden), Prefix.Of(S(in_proj_dt), heads, hidden),
            Prefix.Of(S(conv_weight), conv), conv_bias is null ? null : Prefix.Of(S(conv_bias), conv),
            Prefix.Of(S(A_log), heads), Prefix.Of(S(D), heads), Prefix.Of(S(dt_bias), heads), Prefix.Of(S(norm_weight), inner),
            Prefix.Of(S(out_proj), hidden, inner), headsPerGroup);
    }

    /// <summary>
    /// A whole sequence (prefill or training), starting from a cached state or from zeros.
    /// </summary>
    /// <param name="w">the budget's weights.</param>
    /// <param name="x">[b, L, d'] normed hidden states.</param>
    /// <param name="convHistory">[b, K−1, C'] the conv inputs before this sequence, or null for zeros.</param>
    /// <param name="ssmState">[b, k, G, P, N] fp32 state before this sequence, or null for zeros.</param>
    /// <param name="valid">[b, L] 1 for real tokens, 0 for right padding (padding leaves the state unchanged), or null.</param>
    /// <param name="headMask">[k] mask per head rank within a group (masked execution), or null.</param>
    /// <returns>The output [b, L, d'], the conv inputs [b, K−1+L, C'] (history then this sequence) and the final SSM state.</returns>
    public (Tensor Output, Tensor ConvInputs, Tensor FinalState) Forward(MambaView w, Tensor x, Tensor? convHistory = null,
        Tensor? ssmState = null, Tensor? valid = null, Tensor? headMask = null)
    {
        long batch = x.shape[0], length = x.shape[1];
        var xbc = Linear.Apply(x, w.InProjBcx);                                // [b, L, C'], C' = 2GN + kGP
        var z = Linear.Apply(x, w.InProjZ);                                    // [b, L, kGP]
        var dtRaw = Linear.Apply(x, w.InProjDt);                               // [b, L, kG]
        var (y, inputs, finalState) = Scan(w, xbc, dtRaw, convHistory, ssmState, valid);
        var output = Output(w, y, z.view(batch, length, w.HeadsPerGroup, _groups, _headDim), headMask, x.dtype);
        return (output, inputs, finalState);
    }

    /// <summary>
    /// <see cref="Forward"/> for right-padded sequences whose real tokens arrive packed: the projections run on the
    /// real tokens only, the conv and scan on the padded grid.
    /// </summary>
    /// <param name="w">the budget's weights.</param>
    /// <param name="x">[T, d'] the real tokens' normed hidden states, sequence by sequence.</param>
    /// <param name="positions">[T] each row's index in the padded [b·L] grid, or null when nothing is padded.</param>
    /// <param name="batch">b.</param>
    /// <param name="length">L, the longest sequence.</param>
    /// <param name="convHistory">as <see cref="Forward"/>.</param>
    /// <param name="ssmState">as <see cref="Forward"/>.</param>
    /// <param name="valid">[b, L] 1 for real tokens, or null when nothing is padded.</param>
    /// <returns>The output [T, d'], the conv inputs [b, K−1+L, C'] and the final SSM state.</returns>
    public (Tensor Output, Tensor ConvInputs, Tensor FinalState) ForwardPacked(MambaView w, Tensor x, Tensor? positions, long batch, long length,
        Tensor? convHistory, Tensor? ssmState, Tensor? valid)
    {
        var xbc = Padded.Scatter(Linear.Apply(x, w.InProjBcx), positions, batch, length);
        var dtRaw = Padded.Scatter(Linear.Apply(x, w.InProjDt), positions, batch, length);
        var z = Linear.Apply(x, w.InProjZ);                                    // [T, kGP]
        var (y, inputs, finalState) = Scan(w, xbc, dtRaw, convHistory, ssmState, valid);
        var real = Padded.Gather(y, positions);                                // [T, k, G, P]
        var output = Output(w, real, z.view(-1, w.HeadsPerGroup, _groups, _headDim), null, x.dtype);
        return (output, inputs, finalState);
    }

    // The causal conv, the SSD scan and the D skip: xbc [b, L, C'] and dtRaw [b, L, kG] → y [b, L, k, G, P].
    private (Tensor Y, Tensor ConvInputs, Tensor FinalState) Scan(MambaView w, Tensor xbc, Tensor dtRaw, Tensor? convHistory, Tensor? ssmState, Tensor? valid)
    {
        long batch = xbc.shape[0], length = xbc.shape[1];
        int k = w.HeadsPerGroup, gn = _groups * _stateSize;
        long inner = (long)k * _groups * _headDim;

        // Causal depthwise convolution over the cached inputs followed by this sequence.
        var inputs = xbc.transpose(1, 2);                                       // [b, C', L]
        inputs = convHistory is null
            ? nn.functional.pad(inputs, [_kernel - 1, 0])
            : cat([convHistory.to(inputs.dtype).transpose(1, 2), inputs], 2);   // [b, C', K−1+L]
        var conv = nn.functional.conv1d(inputs, w.ConvWeight.unsqueeze(1), w.ConvBias, groups: w.ConvWeight.shape[0]);
        xbc = nn.functional.silu(conv).transpose(1, 2);                         // [b, L, C']

        var b = Fp32.Of(xbc.narrow(2, 0, gn).view(batch, length, _groups, _stateSize));
        var c = Fp32.Of(xbc.narrow(2, gn, gn).view(batch, length, _groups, _stateSize));
        var xs = Fp32.Of(xbc.narrow(2, 2 * gn, inner).view(batch, length, k, _groups, _headDim));

        var dt = TimeStep(dtRaw, w.DtBias).view(batch, length, k, _groups);    // [b, L, k, G]
        if (valid is not null)
        {
            dt = dt * Fp32.Of(valid).view(batch, length, 1, 1);
        }

        var a = -Fp32.Of(w.ALog).exp().view(k, _groups);
        var (y, finalState) = Ssd.ChunkedScan(xs, dt, a, b, c, _chunkSize, ssmState);
        y = y + (xs * Fp32.Of(w.D).view(k, _groups, 1));         // D skip
        return (y, inputs.transpose(1, 2), finalState);
    }

    /// <summary>One token per sequence, updating the conv history and SSM state in place.</summary>
    /// <param name="w">the budget's weights.</param>
    /// <param name="x">[b, d'] normed hidden states.</param>
    /// <param name="convHistory">[b, K−1, C'] last conv inputs (time-major, so each tap is a contiguous row), updated in place.</param>
    /// <param name="ssmState">[b, k, G, P, N] fp32, updated in place.</param>
    /// <returns>[b, d'].</returns>
    public Tensor Step(MambaView w, Tensor x, Tensor convHistory, Tensor ssmState)
    {
        long batch = x.shape[0];
        int k = w.HeadsPerGroup, gn = _groups * _stateSize;
        long inner = (long)k * _groups * _headDim;

        var constants = w.StepConstants ??= new MambaStepConstants(w, _groups, _headDim);
        var xbc = Linear.Apply(x, w.InProjBcx);                        // [b, C']
        var z = Linear.Apply(x, w.InProjZ);                            // [b, kGP]
        var dtRaw = Linear.Apply(x, w.InProjDt);                       // [b, kG]

        var window = cat([convHistory, xbc.unsqueeze(1)], 1);                  // [b, K, C']
        convHistory.copy_(window.narrow(1, 1, _kernel - 1));
        var conv = (window * constants.ConvWeightT).sum(1);                    // the causal conv at the last position
        if (w.ConvBias is not null)
        {
            conv.add_(w.ConvBias);
        }

        xbc = nn.functional.silu(conv);
        var xs = Fp32.Of(xbc.narrow(1, 2 * gn, inner).view(batch, k, _groups, _headDim));
        var dt = TimeStep(dtRaw, constants.DtBias).view(batch, k, _groups);

        if (!SsdStepCpu.TryStepFromProjection(ssmState, xbc, _groups, _stateSize, _headDim, dt, constants.A, out var y))
        {
            var b = Fp32.Of(xbc.narrow(1, 0, gn).view(batch, _groups, _stateSize));
            var c = Fp32.Of(xbc.narrow(1, gn, gn).view(batch, _groups, _stateSize));
            y = Ssd.Step(ssmState, xs, dt, constants.A, b, c);                   // [b, k, G, P]
        }

        y = y.addcmul_(xs, constants.D, 1);                                     // D skip
        return Output(w, y, z.view(batch, k, _groups, _headDim), null, x.dtype);
    }

    /// <summary>Fills the parameters from Hugging Face tensors (suffixes after "mixer.": in_proj.weight, ...).</summary>
    public void LoadHf(Func<string, Tensor> hf)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long inner = norm_weight.shape[0], heads = A_log.shape[0], states = GroupStateChannels;
        var device = in_proj_z.device;
        var headOrder = HeadOrder(device);
        var channels = ChannelOrder(device);
        var inProj = hf("in_proj.weight").to(in_proj_z.dtype, device);        // rows z | x | B | C | dt
        var convW = hf("conv1d.weight").to(in_proj_z.dtype, device).squeeze(1); // rows x | B | C
        in_proj_bcx.copy_(cat([inProj.narrow(0, 2 * inner, states), inProj.narrow(0, inner, inner).index_select(0, channels)], 0));
        in_proj_z.copy_(inProj.narrow(0, 0, inner).index_select(0, channels));
        in_proj_dt.copy_(inProj.narrow(0, (2 * inner) + states, heads).index_select(0, headOrder));
        conv_weight.copy_(cat([convW.narrow(0, inner, states), convW.narrow(0, 0, inner).index_select(0, channels)], 0));
        if (conv_bias is not null)
        {
            var bias = hf("conv1d.bias").to(in_proj_z.dtype, device);
            conv_bias.copy_(cat([bias.narrow(0, inner, states), bias.narrow(0, 0, inner).index_select(0, channels)], 0));
        }

        A_log.copy_(hf("A_log").to(in_proj_z.dtype, device).index_select(0, headOrder));
        D.copy_(hf("D").to(in_proj_z.dtype, device).index_select(0, headOrder));
        dt_bias.copy_(hf("dt_bias").to(in_proj_z.dtype, device).index_select(0, headOrder));
        norm_weight.copy_(hf("norm.weight").to(in_proj_z.dtype, device).index_select(0, channels));
        out_proj.copy_(hf("out_proj.weight").to(in_proj_z.dtype, device).index_select(1, channels));
    }

    /// <summary>The parameters in Hugging Face layout (new tensors), by suffix after "mixer.".</summary>
    public IReadOnlyList<(string Suffix, Tensor Tensor)> ExportHf()
    {
        using var noGrad = no_grad();
        long inner = norm_weight.shape[0], states = GroupStateChannels;
        var device = in_proj_z.device;
        var heads = HeadOrder(device).argsort();
        var channels = ChannelOrder(device).argsort();
        var result = new List<(string, Tensor)>
        {
            ("in_proj.weight", cat([in_proj_z.index_select(0, channels), in_proj_bcx.narrow(0, states, inner).index_select(0, channels),
                in_proj_bcx.narrow(0, 0, states), in_proj_dt.index_select(0, heads)], 0)),
            ("conv1d.weight", cat([conv_weight.narrow(0, states, inner).index_select(0, channels), conv_weight.narrow(0, 0, states)], 0).unsqueeze(1)),
        };
        if (conv_bias is not null)
        {
            result.Add(("conv1d.bias", cat([conv_bias.narrow(0, states, inner).index_select(0, channels), conv_bias.narrow(0, 0, states)], 0)));
        }

        result.Add(("A_log", A_log.index_select(0, heads)));
        result.Add(("D", D.index_select(0, heads)));
        result.Add(("dt_bias", dt_bias.index_select(0, heads)));
        result.Add(("norm.weight", norm_weight.index_select(0, channels)));
        result.Add(("out_proj.weight", out_proj.index_select(1, channels)));
        return result;
    }

    /// <summary>For execution head i (= rank·G + group), the Hugging Face head (= group·Hg + rank).</summary>
    internal Tensor HeadOrder(Device device)
    {
        long heads = (long)_groups * _headsPerGroup;
        var order = new long[heads];
        for (long i = 0; i < heads; i++)
        {
            order[i] = (i % _groups * _headsPerGroup) + (i / _groups);
        }

        return tensor(order, device: device);
    }

    /// <summary>For execution channel i·P + p, the Hugging Face channel.</summary>
    internal Tensor ChannelOrder(Device device)
    {
        var heads = HeadOrder(device).cpu().data<long>().ToArray();
        var order = new long[heads.Length * _headDim];
        for (int i = 0; i < heads.Length; i++)
        {
            for (int p = 0; p < _headDim; p++)
            {
                order[(i * _headDim) + p] = (heads[i] * _headDim) + p;
            }
        }

        return tensor(order, device: device);
    }

    // dt = clamp(softplus(dt + dt_bias), time_step_limit), fp32.
    private Tensor TimeStep(Tensor dtRaw, Tensor dtBias)
    {
        var dt = nn.functional.softplus(Fp32.Of(dtRaw) + Fp32.Of(dtBias));
        if (_dtMin > 0 || !double.IsPositiveInfinity(_dtMax))
        {
            dt = dt.clamp(_dtMin, double.IsPositiveInfinity(_dtMax) ? float.MaxValue : _dtMax);
        }

        return dt;
    }

    // Heads mask, gated group norm, out_proj. y and z: [..., k, G, P].
    private Tensor Output(MambaView w, Tensor y, Tensor z, Tensor? headMask, ScalarType dtype)
    {
        int k = w.HeadsPerGroup;
        Tensor? kept = null;
        if (headMask is not null)
        {
            y = y * Fp32.Of(headMask).view(k, 1, 1);
            kept = Fp32.Of(headMask).sum();
        }

        var normed = GatedRmsNorm.Apply(y, z, w.NormWeight.view(k, _groups, _headDim), _eps, kept);
        var flat = normed.flatten(-3);                                          // [..., kGP]
        flat = flat.dtype == dtype ? flat : flat.to(dtype);
        return Linear.Apply(flat, w.OutProj);
    }
}
