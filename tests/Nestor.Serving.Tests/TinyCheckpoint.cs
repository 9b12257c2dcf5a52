using Nestor.Testing;

namespace Nestor.Serving.Tests;

/// <summary>
/// One random tiny elastic checkpoint (full, b75, b50) shared by the tests of the collection, and one server over it
/// for the tests that need no server of their own.
/// </summary>
public sealed class TinyCheckpoint : IAsyncLifetime
{
    private readonly ScratchDirectory _scratch = new("serve-tests");
    private TestServer? _shared;

    public TinyCheckpoint()
    {
        Path = _scratch.Combine("tiny-elastic");
        Digest = TestModel.Write(Path);
    }

    public string Path { get; }

    public string Digest { get; }

    /// <summary>The shared server: 4 sequences per budget, prompts up to 64 tokens, max_tokens up to 32, 64 KiB bodies.</summary>
    public TestServer Shared => _shared!;

    public async Task InitializeAsync() => _shared = await TestServer.StartAsync(new ServeOptions
    {
        Checkpoint = Path,
        MaxBatch = 4,
        MaxQueue = 64,
        MaxPromptTokens = 64,
        MaxTokens = 32,
        MaxBodyBytes = 64 * 1024,
    });

    public async Task DisposeAsync()
    {
        if (_shared is not null)
        {
            await _shared.DisposeAsync();
        }

        _scratch.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class ServingCollection : ICollectionFixture<TinyCheckpoint>
{
    public const string Name = "serving";
}
