using System.Text.Json.Nodes;
using Nestor.ApiServer.Storage;

namespace Nestor.ApiServer.Watch;

/// <summary>What a watch stream writes next: an object event, a bookmark, or an in-stream error Status.</summary>
internal abstract record WatchMessage
{
    public sealed record Event(string Type, StoredObject Object) : WatchMessage;

    public sealed record Bookmark(long ResourceVersion, bool InitialEventsEnd) : WatchMessage;

    public sealed record Error(JsonObject Status) : WatchMessage;
}
