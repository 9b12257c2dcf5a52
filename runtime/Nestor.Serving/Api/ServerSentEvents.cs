using System.Buffers;
using System.Text.Json;

namespace Nestor.Serving.Api;

/// <summary>
/// Writes server-sent events (<c>data: JSON</c> and a blank line) as UTF-8 straight into a response's buffer, without
/// flushing: the caller flushes once for all the events that were ready.
/// </summary>
internal sealed class ServerSentEvents(IBufferWriter<byte> output)
{
    private static readonly byte[] Prefix = "data: "u8.ToArray();
    private static readonly byte[] Separator = "\n\n"u8.ToArray();
    private static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();
    private readonly Utf8JsonWriter _json = new(output, new JsonWriterOptions { Encoder = Json.Options.Encoder, SkipValidation = true });

    public void Write(object chunk)
    {
        output.Write(Prefix);
        _json.Reset(output);
        JsonSerializer.Serialize(_json, chunk, chunk.GetType(), Json.Options);
        _json.Flush();
        output.Write(Separator);
    }

    public void WriteDone() => output.Write(Done);
}
