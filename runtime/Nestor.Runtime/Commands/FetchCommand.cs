using System.CommandLine;
using Nestor.Checkpoint;
using Nestor.Runtime.Fetch;

namespace Nestor.Runtime.Commands;

/// <summary>
/// `nestor fetch --source PATH|file://|http(s)://|hf:// --dest-root DIR --model NAME [--digest D]
/// [--termination-log FILE]`: publishes a verified checkpoint and prints (and writes to the termination
/// log) its one-line result JSON. Exit 0 ok, 2 bad arguments, 1 failure (the message, prefixed
/// "error: ", goes to stderr and to the termination log).
/// </summary>
public static class FetchCommand
{
    public const string DefaultTerminationLog = "/dev/termination-log";

    public static Command Build()
    {
        var source = new Option<string>("--source") { Description = "a folder, file://, http(s):// (a folder with checksums.sha256) or hf://org/name[@revision]", Required = true };
        var destRoot = new Option<string>("--dest-root") { Description = "the weight volume's root", Required = true };
        var model = new Option<string>("--model") { Description = "the model name (checkpoints/<model>/)", Required = true };
        var digest = new Option<string?>("--digest") { Description = "the expected content digest (sha256:<hex>)" };
        var terminationLog = new Option<string?>("--termination-log") { Description = $"where to write the result line (default {DefaultTerminationLog} if writable)" };
        var command = new Command("fetch", "Copy or download a checkpoint onto the weight volume, verify it, publish it under checkpoints/<model>/sha256-<hex>/ and print its result JSON.")
        {
            source, destRoot, model, digest, terminationLog,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var logPath = parse.GetValue(terminationLog) ?? DefaultTerminationLog;
            var expected = parse.GetValue(digest);
            if (expected is not null && !expected.StartsWith(ContentDigest.Prefix, StringComparison.Ordinal))
            {
                await Console.Error.WriteLineAsync($"error: --digest must be sha256:<hex>, not '{expected}'");
                return 2;
            }

            using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.All })
            {
                Timeout = TimeSpan.FromMinutes(30),
            };
            var fetcher = new CheckpointFetcher(new RemoteSource(http), Environment.GetEnvironmentVariable);
            try
            {
                var result = await fetcher.FetchAsync(new FetchRequest(parse.GetValue(source)!, parse.GetValue(destRoot)!, parse.GetValue(model)!, expected), cancellationToken);
                var line = result.ToJsonLine();
                Console.WriteLine(line);
                TerminationLog.Write(logPath, line);
                return 0;
            }
            catch (Exception e) when (e is FetchException or CheckpointFormatException or IOException or HttpRequestException or ArgumentException or UnauthorizedAccessException)
            {
                var message = "error: " + e.Message;
                await Console.Error.WriteLineAsync(message);
                TerminationLog.Write(logPath, message);
                return 1;
            }
        });
        return command;
    }
}
