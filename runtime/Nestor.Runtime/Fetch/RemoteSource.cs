using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Nestor.Runtime.Fetch;

/// <summary>
/// Downloads checkpoint files into a staging folder. http(s): the folder's checksums.sha256 is the list
/// of files (each is fetched from &lt;url&gt;/&lt;path&gt; and checked against its SHA-256 while it streams);
/// hf://org/name[@revision]: the Hugging Face API's file list of the revision, files from
/// /&lt;repo&gt;/resolve/&lt;revision&gt;/&lt;file&gt; (endpoint HF_ENDPOINT, token HF_TOKEN).
/// </summary>
public sealed class RemoteSource(HttpClient http)
{
    private static readonly HashSet<string> HubExtensions = new(StringComparer.Ordinal) { ".json", ".safetensors", ".sha256", ".txt", ".model" };

    public async Task DownloadHttpAsync(Uri folder, string staging, string? authorization, CancellationToken cancellationToken)
    {
        var baseUri = new Uri(folder.AbsoluteUri.TrimEnd('/') + "/");
        var listing = await GetStringAsync(new Uri(baseUri, "checksums.sha256"), authorization, cancellationToken);
        var files = new List<(string Path, string Hash)>();
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length < 67 || line[64] != ' ' || line[65] != ' ')
            {
                throw new FetchException($"{baseUri}checksums.sha256: not in sha256sum format: '{line}'");
            }

            files.Add((SafeRelative(line[66..], baseUri + "checksums.sha256"), line[..64]));
        }

        foreach (var (path, hash) in files)
        {
            await DownloadFileAsync(new Uri(baseUri, EscapePath(path)), Path.Combine(staging, path), hash, authorization, cancellationToken);
        }

        await File.WriteAllTextAsync(Path.Combine(staging, "checksums.sha256"), listing, cancellationToken);
    }

    public async Task DownloadHubAsync(string repoAndRevision, string staging, string endpoint, string? token, CancellationToken cancellationToken)
    {
        var at = repoAndRevision.IndexOf('@', StringComparison.Ordinal);
        var repo = at < 0 ? repoAndRevision : repoAndRevision[..at];
        var revision = at < 0 ? "main" : repoAndRevision[(at + 1)..];
        var authorization = token is null ? null : "Bearer " + token;
        var api = new Uri($"{endpoint.TrimEnd('/')}/api/models/{repo}/revision/{Uri.EscapeDataString(revision)}");
        using var info = JsonDocument.Parse(await GetStringAsync(api, authorization, cancellationToken));
        if (!info.RootElement.TryGetProperty("siblings", out var siblings) || siblings.ValueKind != JsonValueKind.Array)
        {
            throw new FetchException($"{api}: the answer lists no files (siblings)");
        }

        foreach (var sibling in siblings.EnumerateArray())
        {
            var name = sibling.GetProperty("rfilename").GetString() ?? "";
            if (!HubExtensions.Contains(Path.GetExtension(name)) || name.StartsWith('.'))
            {
                continue;
            }

            var path = SafeRelative(name, api.ToString());
            await DownloadFileAsync(new Uri($"{endpoint.TrimEnd('/')}/{repo}/resolve/{Uri.EscapeDataString(revision)}/{EscapePath(path)}"),
                Path.Combine(staging, path), null, authorization, cancellationToken);
        }
    }

    private async Task<string> GetStringAsync(Uri uri, string? authorization, CancellationToken cancellationToken)
    {
        using var request = Request(uri, authorization);
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new FetchException($"GET {uri}: {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    private async Task DownloadFileAsync(Uri uri, string destination, string? expectedHash, string? authorization, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        using var request = Request(uri, authorization);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new FetchException($"GET {uri}: {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        {
            await using var input = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = await input.ReadAsync(buffer, cancellationToken)) > 0)
            {
                sha.AppendData(buffer, 0, read);
                await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            await output.FlushAsync(cancellationToken);
            output.Flush(flushToDisk: true);
        }

        var actual = Convert.ToHexStringLower(sha.GetHashAndReset());
        if (expectedHash is not null && actual != expectedHash)
        {
            throw new FetchException($"GET {uri}: SHA-256 {actual} differs from the listed {expectedHash}");
        }
    }

    private static HttpRequestMessage Request(Uri uri, string? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (authorization is not null)
        {
            request.Headers.Authorization = AuthenticationHeaderValue.Parse(authorization);
        }

        return request;
    }

    /// <summary>A listed path must stay inside the folder: relative, '/'-separated, no '..' or empty segment.</summary>
    private static string SafeRelative(string path, string source)
    {
        var segments = path.Split('/');
        if (path.Length == 0 || path.StartsWith('/') || segments.Any(s => s is "" or "." or ".." || s.Contains('\\', StringComparison.Ordinal)))
        {
            throw new FetchException($"{source}: unsafe file path '{path}'");
        }

        return path;
    }

    private static string EscapePath(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));
}
