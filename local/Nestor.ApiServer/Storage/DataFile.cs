using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Nestor.ApiServer.Json;

namespace Nestor.ApiServer.Storage;

/// <summary>
/// Optional persistence: every object and the resource version, as one JSON file written atomically
/// (temporary file, fsync, rename) at most once per second after a change and on shutdown; loaded at start.
/// A crash loses at most the last second of writes; watch history is not kept (resumes across a restart get 410).
/// </summary>
internal sealed class DataFile : IAsyncDisposable
{
    private readonly string _path;
    private readonly ObjectStore _store;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _savedRv;

    public DataFile(string path, ObjectStore store, ILogger logger)
    {
        _path = Path.GetFullPath(path);
        _store = store;
        _logger = logger;
        _loop = Task.Run(LoopAsync);
    }

    public static bool TryLoad(string path, ObjectStore store, ILogger logger)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        try
        {
            var root = JsonNode.Parse(File.ReadAllBytes(path)) as JsonObject ?? throw new JsonException("not an object");
            var rv = long.Parse(JsonPaths.GetString(root, "resourceVersion") ?? "0", CultureInfo.InvariantCulture);
            var objects = new List<(GroupResource, JsonObject)>();
            foreach (var entry in (JsonPaths.ArrayAt(root, "objects") ?? []).OfType<JsonObject>())
            {
                var resource = new GroupResource(JsonPaths.GetString(entry, "group") ?? "", JsonPaths.GetString(entry, "resource") ?? "");
                if (entry["object"] is JsonObject obj)
                {
                    objects.Add((resource, (JsonObject)obj.DeepClone()));
                }
            }

            store.Load(rv, objects);
            logger.LogInformation("restored {Count} objects at resource version {ResourceVersion} from {Path}", objects.Count, rv, path);
            return true;
        }
        catch (Exception e) when (e is JsonException or FormatException or IOException)
        {
            throw new InvalidOperationException($"the data file {path} is not readable: {e.Message}", e);
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            Save();
        }
    }

    public void Save()
    {
        var state = _store.State;
        if (state.ResourceVersion == Interlocked.Read(ref _savedRv))
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
            var temporary = _path + ".tmp";
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            using (var writer = new Utf8JsonWriter(stream, JsonPaths.WriterOptions))
            {
                writer.WriteStartObject();
                writer.WriteString("resourceVersion", state.ResourceVersion.ToString(CultureInfo.InvariantCulture));
                writer.WriteStartArray("objects");
                foreach (var (resource, objects) in state.Resources)
                {
                    foreach (var obj in objects.Values)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("group", resource.Group);
                        writer.WriteString("resource", resource.Resource);
                        writer.WritePropertyName("object");
                        writer.WriteRawValue(obj.Utf8, skipInputValidation: true);
                        writer.WriteEndObject();
                    }
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, _path, overwrite: true);
            Interlocked.Exchange(ref _savedRv, state.ResourceVersion);
        }
        catch (IOException e)
        {
            _logger.LogError(e, "could not save {Path}", _path);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        Save();
        _stop.Dispose();
    }
}
