using System.Text.Json;
using Nestor.Testing;

namespace Nestor.Runtime.Tests;

public sealed class PublishedBinaryTests
{
    [Fact]
    public async Task PublishedNestorRunsATensorOpAndABackwardPass()
    {
        var output = Path.Combine(Path.GetTempPath(), "nestor-publish-" + Guid.NewGuid().ToString("N"));
        try
        {
            var publish = await ProcessRunner.RunAsync("dotnet",
                ["publish", "runtime/Nestor.Runtime", "-c", "Release", "-r", "linux-x64", "--self-contained", "false", "-o", output, "-nologo"],
                timeout: TimeSpan.FromMinutes(8));
            Assert.True(publish.ExitCode == 0, publish.Combined);

            var doctor = await ProcessRunner.RunAsync(Path.Combine(output, "nestor"), ["doctor"], timeout: TimeSpan.FromMinutes(2));
            Assert.True(doctor.ExitCode == 0, doctor.Combined);
            using var facts = JsonDocument.Parse(doctor.StandardOutput);
            Assert.True(facts.RootElement.GetProperty("BackwardOk").GetBoolean());
            Assert.True(facts.RootElement.GetProperty("MatmulGflops").GetDouble() > 0);

            var version = await ProcessRunner.RunAsync(Path.Combine(output, "nestor"), ["--version"]);
            Assert.Equal(0, version.ExitCode);
            Assert.StartsWith("0.", version.StandardOutput.Trim(), StringComparison.Ordinal);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }
}
