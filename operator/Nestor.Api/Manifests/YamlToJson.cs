using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace Nestor.Api.Manifests;

/// <summary>
/// Reads YAML (one or more documents) into JSON trees, so that a manifest or a trainer configuration
/// goes through the same System.Text.Json path as objects from the API server. Plain scalars are
/// typed by the YAML 1.2 core schema (null, true/false, integers, floats, else string); quoted
/// scalars are strings. Aliases are expanded; duplicate keys and non-scalar keys are errors that
/// name the line.
/// </summary>
public static partial class YamlToJson
{
    /// <summary>Every non-empty document of the text.</summary>
    public static IReadOnlyList<JsonNode> ParseDocuments(string yaml, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        var parser = new Parser(new StringReader(yaml));
        var documents = new List<JsonNode>();
        try
        {
            parser.Consume<StreamStart>();
            while (parser.TryConsume<DocumentStart>(out _))
            {
                var anchors = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
                var node = ReadNode(parser, anchors, sourceName);
                parser.Consume<DocumentEnd>();
                if (node is not null)
                {
                    documents.Add(node);
                }
            }

            parser.Consume<StreamEnd>();
        }
        catch (YamlException e) when (e is not YamlToJsonException)
        {
            throw new YamlToJsonException($"{sourceName ?? "YAML"}: line {e.Start.Line}: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet's parser reports some malformed input (an unclosed flow collection) this way.
            throw new YamlToJsonException($"{sourceName ?? "YAML"}: line {parser.Current?.End.Line}: malformed YAML after this line", e);
        }

        return documents;
    }

    /// <summary>The one document of the text (an error if there are none or several).</summary>
    public static JsonNode Parse(string yaml, string? sourceName = null)
    {
        var documents = ParseDocuments(yaml, sourceName);
        return documents.Count == 1
            ? documents[0]
            : throw new YamlToJsonException($"{sourceName ?? "YAML"}: expected one document, found {documents.Count}.");
    }

    private static JsonNode? ReadNode(IParser parser, Dictionary<string, JsonNode?> anchors, string? source)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            return anchors.TryGetValue(alias.Value.Value, out var target)
                ? target?.DeepClone()
                : throw Error(source, alias.Start, $"unknown alias *{alias.Value.Value}");
        }

        JsonNode? node;
        string? anchor;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            anchor = scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value;
            node = ScalarValue(scalar);
        }
        else if (parser.TryConsume<MappingStart>(out var mapping))
        {
            anchor = mapping.Anchor.IsEmpty ? null : mapping.Anchor.Value;
            var obj = new JsonObject();
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyStart = parser.Current!.Start;
                if (ReadNode(parser, anchors, source) is not JsonValue keyValue)
                {
                    throw Error(source, keyStart, "mapping keys must be scalars");
                }

                var key = keyValue.ToString();
                var value = ReadNode(parser, anchors, source);
                if (obj.ContainsKey(key))
                {
                    throw Error(source, keyStart, $"duplicate key \"{key}\"");
                }

                obj[key] = value;
            }

            node = obj;
        }
        else if (parser.TryConsume<SequenceStart>(out var sequence))
        {
            anchor = sequence.Anchor.IsEmpty ? null : sequence.Anchor.Value;
            var array = new JsonArray();
            while (!parser.TryConsume<SequenceEnd>(out _))
            {
                array.Add(ReadNode(parser, anchors, source));
            }

            node = array;
        }
        else
        {
            throw Error(source, parser.Current?.Start ?? Mark.Empty, $"unexpected {parser.Current?.GetType().Name}");
        }

        if (anchor is not null)
        {
            anchors[anchor] = node;
        }

        return node;
    }

    private static JsonNode? ScalarValue(Scalar scalar)
    {
        var text = scalar.Value;
        var tag = scalar.Tag.IsEmpty ? null : scalar.Tag.Value;
        if (tag is "tag:yaml.org,2002:str" || scalar.Style is not ScalarStyle.Plain && tag is null)
        {
            return JsonValue.Create(text);
        }

        if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            return null;
        }

        if (text is "true" or "True" or "TRUE")
        {
            return JsonValue.Create(true);
        }

        if (text is "false" or "False" or "FALSE")
        {
            return JsonValue.Create(false);
        }

        if (DecimalInteger().IsMatch(text))
        {
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
                ? JsonValue.Create(integer)
                : JsonValue.Create(decimal.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
        }

        if (text.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
        {
            return JsonValue.Create(hex);
        }

        if (Float().IsMatch(text))
        {
            return JsonValue.Create(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
        }

        return JsonValue.Create(text);
    }

    private static YamlToJsonException Error(string? source, Mark mark, string message) =>
        new($"{source ?? "YAML"}: line {mark.Line}: {message}");

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex DecimalInteger();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex Float();
}

/// <summary>A YAML text that is not valid, or not representable as JSON; the message names the source and line.</summary>
public sealed class YamlToJsonException : YamlException
{
    public YamlToJsonException(string message)
        : base(message)
    {
    }

    public YamlToJsonException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
