using System.Text.Json.Nodes;

namespace Nestor.ApiServer;

/// <summary>
/// Reads a container's log for GET pods/{name}/log (kubelet's job in a cluster): the pod as stored, the
/// container, whether the previous run is wanted. Null when the container has no log yet.
/// </summary>
public delegate Task<string?> PodLogReader(JsonObject pod, string container, bool previous, CancellationToken cancellationToken);
