using System.Diagnostics;
using System.Globalization;
using System.Text;
using Nestor.Testing;

namespace Nestor.ApiServer.Tests;

/// <summary>The nestor-apiserver program as a real process: SIGTERM (what docker, kubelet and systemd send) stops it cleanly.</summary>
public sealed class ProcessTests
{
    [Fact]
    public async Task SigtermStopsTheServerAndItExitsZero()
    {
        var folder = Directory.CreateTempSubdirectory("nestor-apiserver-process-");
        try
        {
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "nestor-apiserver.dll"), "--port", "0", "--kubeconfig", Path.Combine(folder.FullName, "kubeconfig") })
            {
                info.ArgumentList.Add(a);
            }

            using var process = Process.Start(info)!;
            var output = new StringBuilder();
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }

                if (e.Data?.StartsWith("kubeconfig:", StringComparison.Ordinal) == true)
                {
                    started.TrySetResult();
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
                var kill = await ProcessRunner.RunAsync("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
                Assert.Equal(0, kill.ExitCode);
                using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await process.WaitForExitAsync(exited.Token);
                Assert.True(0 == process.ExitCode, $"exit code {process.ExitCode}:\n{output}");
                Assert.Contains("stopping", output.ToString(), StringComparison.Ordinal);
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
