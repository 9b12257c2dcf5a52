using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Nestor.Checkpoint;
using Nestor.Checkpoint.Safetensors;
using Nestor.Runtime.Commands;
using Nestor.Runtime.Fetch;
using Nestor.Testing;

namespace Nestor.Runtime.Tests;

/// <summary>`nestor fetch` on real checkpoint folders (tiny random weights), real copies and real HTTP downloads on loopback.</summary>
public sealed class FetchTests
{
    private static string WriteTinyCheckpoint(string folder, int seed = 1)
    {
        var config = NemotronHConfig.Create(hybridOverridePattern: "M-*", hiddenSize: 16, vocabSize: 32, numAttentionHeads: 2, numKeyValueHeads: 1,
            headDim: 8, intermediateSize: 24, mambaNumHeads: 4, mambaHeadDim: 4, nGroups: 1, ssmStateSize: 4, chunkSize: 8);
        Directory.CreateDirectory(folder);
        config.Save(Path.Combine(folder, NemotronHConfig.FileName));
        ElasticManifest.Create(config, "tiny", [ElasticBudget.Full(config), ElasticBudget.Create(config, "b50", 8, 12, 2, 1, 1, [0, 2])])
            .Save(Path.Combine(folder, ElasticManifest.FileName));
        new EvalRecord { Task = "arith", Split = "test", Examples = 10, Budgets = new Dictionary<string, BudgetEvaluation> { ["b50"] = new(1, 0.75, 1.5) } }
            .Save(Path.Combine(folder, EvalRecord.FileName));
        var random = new Random(seed);
        var tensors = TensorLayout.For(config).Select(spec =>
        {
            var bytes = new byte[spec.ElementCount * config.DType.Size()];
            random.NextBytes(bytes);
            return TensorToWrite.FromBytes(spec.Name, config.DType, spec.Shape, bytes);
        }).ToList();
        SafetensorsWriter.WriteCheckpoint(folder, tensors, SafetensorsWriter.DefaultMaxShardBytes);
        return folder;
    }

    private static CheckpointFetcher Fetcher(HttpClient http, Dictionary<string, string>? env = null) =>
        new(new RemoteSource(http), name => env?.GetValueOrDefault(name));

    [Fact]
    public async Task AFolderIsCopiedPublishedByDigestAndVerifiedInPlaceAfterwards()
    {
        using var scratch = new ScratchDirectory("nestor-fetch");
        var source = WriteTinyCheckpoint(scratch.Combine("imports", "tiny"));
        using var http = new HttpClient();
        var volume = scratch.Combine("volume");

        var result = await Fetcher(http).FetchAsync(new FetchRequest(source, volume, "tiny", null), CancellationToken.None);
        Assert.Equal($"checkpoints/tiny/{ContentDigest.FolderName(result.Digest)}", result.Path);
        Assert.Equal(["full", "b50"], result.Budgets.Select(b => b.Name));
        Assert.Equal(0.75, result.Budgets[1].Accuracy);
        Assert.True(result.Budgets[0].Params > result.Budgets[1].Params);
        Assert.Empty(Directory.GetDirectories(scratch.Combine("volume", "checkpoints", "tiny"), ".staging-*"));

        // In place: the published folder is verified, not copied again; a second copy is a no-op.
        var inPlace = await Fetcher(http).FetchAsync(new FetchRequest(Path.Combine(volume, result.Path), volume, "tiny", result.Digest), CancellationToken.None);
        Assert.Equal(result, inPlace with { Budgets = result.Budgets });
        var again = await Fetcher(http).FetchAsync(new FetchRequest("file://" + source, volume, "tiny", null), CancellationToken.None);
        Assert.Equal(result.Path, again.Path);

        // A corrupted published folder fails verification, naming the file.
        var weights = Path.Combine(volume, result.Path, "model.safetensors");
        var bytes = await File.ReadAllBytesAsync(weights);
        bytes[^1] ^= 0xff;
        await File.WriteAllBytesAsync(weights, bytes);
        var error = await Assert.ThrowsAsync<CheckpointFormatException>(() =>
            Fetcher(http).FetchAsync(new FetchRequest(Path.Combine(volume, result.Path), volume, "tiny", null), CancellationToken.None));
        Assert.Contains("model.safetensors", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnUnexpectedDigestPublishesNothing()
    {
        using var scratch = new ScratchDirectory("nestor-fetch");
        var source = WriteTinyCheckpoint(scratch.Combine("imports", "tiny"));
        using var http = new HttpClient();
        var wrong = "sha256:" + new string('0', 64);
        var error = await Assert.ThrowsAsync<FetchException>(() =>
            Fetcher(http).FetchAsync(new FetchRequest(source, scratch.Combine("volume"), "tiny", wrong), CancellationToken.None));
        Assert.Contains(wrong, error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetDirectories(scratch.Combine("volume", "checkpoints", "tiny")));
    }

    [Fact]
    public async Task HttpAndHuggingFaceSourcesAreDownloadedAndCheckedFileByFile()
    {
        using var scratch = new ScratchDirectory("nestor-fetch");
        var local = WriteTinyCheckpoint(scratch.Combine("imports", "tiny"));
        using var http = new HttpClient();
        var published = await Fetcher(http).FetchAsync(new FetchRequest(local, scratch.Combine("origin"), "tiny", null), CancellationToken.None);
        var served = scratch.Combine("origin", published.Path);
        var corrupt = false;

        await using var app = await StartFileServerAsync(served, () => corrupt);
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var viaHttp = await Fetcher(http, new() { ["NESTOR_HTTP_AUTHORIZATION"] = "Bearer secret" })
            .FetchAsync(new FetchRequest($"{url}/ckpt", scratch.Combine("volume-http"), "tiny", published.Digest), CancellationToken.None);
        Assert.Equal(published.Digest, viaHttp.Digest);

        var viaHub = await Fetcher(http, new() { ["HF_ENDPOINT"] = url, ["HF_TOKEN"] = "secret" })
            .FetchAsync(new FetchRequest("hf://org/tiny@main", scratch.Combine("volume-hf"), "tiny", null), CancellationToken.None);
        Assert.Equal(published.Digest, viaHub.Digest);

        corrupt = true;
        var error = await Assert.ThrowsAsync<FetchException>(() => Fetcher(http, new() { ["NESTOR_HTTP_AUTHORIZATION"] = "Bearer secret" })
            .FetchAsync(new FetchRequest($"{url}/ckpt", scratch.Combine("volume-bad"), "tiny", null), CancellationToken.None));
        Assert.Contains("SHA-256", error.Message, StringComparison.Ordinal);
        var unauthorized = await Assert.ThrowsAsync<FetchException>(() =>
            Fetcher(http).FetchAsync(new FetchRequest($"{url}/ckpt", scratch.Combine("volume-401"), "tiny", null), CancellationToken.None));
        Assert.Contains("401", unauthorized.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheCommandWritesItsResultOrItsErrorToTheTerminationLog()
    {
        using var scratch = new ScratchDirectory("nestor-fetch");
        var source = WriteTinyCheckpoint(scratch.Combine("imports", "tiny"));
        var log = scratch.Combine("termination-log");
        var ok = await NestorCli.Build().Parse(["fetch", "--source", source, "--dest-root", scratch.Combine("volume"), "--model", "tiny", "--termination-log", log]).InvokeAsync();
        Assert.Equal(0, ok);
        using (var result = JsonDocument.Parse(await File.ReadAllTextAsync(log)))
        {
            Assert.StartsWith("checkpoints/tiny/sha256-", result.RootElement.GetProperty("path").GetString(), StringComparison.Ordinal);
            Assert.Equal("b50", result.RootElement.GetProperty("budgets")[1].GetProperty("name").GetString());
        }

        var missing = await NestorCli.Build().Parse(["fetch", "--source", scratch.Combine("nope"), "--dest-root", scratch.Combine("volume"), "--model", "tiny", "--termination-log", log]).InvokeAsync();
        Assert.Equal(1, missing);
        Assert.StartsWith("error: ", await File.ReadAllTextAsync(log), StringComparison.Ordinal);
        Assert.Equal(2, await NestorCli.Build().Parse(["fetch", "--source", source, "--dest-root", scratch.Combine("volume"), "--model", "tiny", "--digest", "md5:x", "--termination-log", log]).InvokeAsync());
    }

    /// <summary>Serves a checkpoint folder over HTTP as a plain folder (/ckpt/...) and in the Hugging Face hub's layout (/api/models, /resolve).</summary>
    private static async Task<WebApplication> StartFileServerAsync(string folder, Func<bool> corrupt)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        async Task<IResult> Serve(string path)
        {
            var full = Path.GetFullPath(Path.Combine(folder, path));
            if (!full.StartsWith(folder, StringComparison.Ordinal) || !File.Exists(full))
            {
                return Results.NotFound();
            }

            var bytes = await File.ReadAllBytesAsync(full);
            if (corrupt() && path.EndsWith(".safetensors", StringComparison.Ordinal))
            {
                bytes[^1] ^= 0xff;
            }

            return Results.Bytes(bytes);
        }

        app.MapGet("/ckpt/{**path}", (string path, HttpRequest request) =>
            request.Headers.Authorization == "Bearer secret" ? Serve(path) : Task.FromResult(Results.StatusCode(401)));
        app.MapGet("/api/models/org/tiny/revision/main", () => Results.Json(new
        {
            siblings = Directory.GetFiles(folder).Select(f => new { rfilename = Path.GetFileName(f) }).Append(new { rfilename = ".gitattributes" }),
        }));
        app.MapGet("/org/tiny/resolve/main/{**path}", (string path, HttpRequest request) =>
            request.Headers.Authorization == "Bearer secret" ? Serve(path) : Task.FromResult(Results.StatusCode(401)));
        await app.StartAsync();
        return app;
    }
}
