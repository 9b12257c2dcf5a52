using static TorchSharp.torch;

namespace Nestor.Kernels;

/// <summary>Facts about the loaded libtorch, and a self-test that proves the natives load and autograd works.</summary>
public static class TorchRuntime
{
    public sealed record SelfTestResult(string TorchSharpVersion, string Device, int Threads, double MatmulGflops, bool BackwardOk);

    public static SelfTestResult SelfTest(Device? device = null)
    {
        device ??= CPU;
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 2, 3 }, requires_grad: true, device: device);
        var y = (x * x).sum();
        y.backward();
        var grad = x.grad!.cpu().data<float>().ToArray();
        bool backwardOk = grad.SequenceEqual(new float[] { 2, 4, 6 });

        const int n = 256;
        var a = randn(n, n, device: device);
        var b = randn(n, n, device: device);
        a.matmul(b).sum().item<float>(); // warm up
        var watch = System.Diagnostics.Stopwatch.StartNew();
        const int reps = 20;
        for (int i = 0; i < reps; i++)
        {
            a.matmul(b).sum().item<float>();
        }

        double gflops = 2.0 * n * n * n * reps / watch.Elapsed.TotalSeconds / 1e9;
        return new SelfTestResult(
            typeof(TorchSharp.torch).Assembly.GetName().Version?.ToString() ?? "unknown",
            device.ToString(), get_num_threads(), gflops, backwardOk);
    }
}
