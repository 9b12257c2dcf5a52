using System.Text.Json;
using System.Text.Json.Nodes;
using Cel;
using Nestor.ApiServer.Json;

namespace Nestor.ApiServer.Validation;

/// <summary>
/// One x-kubernetes-validations rule, compiled with the Cel library. The rule sees <c>self</c> (and, for
/// transition rules, <c>oldSelf</c>) as CEL values: objects as maps, arrays as lists, integers as int,
/// numbers as double. messageExpression is evaluated when present; reason and fieldPath are honoured.
/// </summary>
internal sealed class CelRule
{
    private static readonly CelEnvironment Environment = new(null, null);
    private static readonly Lock CompileGate = new();

    private readonly Func<Dictionary<string, object?>, object?> _program;
    private readonly Func<Dictionary<string, object?>, object?>? _messageProgram;

    private CelRule(string rule, Func<Dictionary<string, object?>, object?> program, Func<Dictionary<string, object?>, object?>? messageProgram)
    {
        Rule = rule;
        _program = program;
        _messageProgram = messageProgram;
    }

    public string Rule { get; }

    public string? Message { get; private init; }

    public string? Reason { get; private init; }

    public string? FieldPath { get; private init; }

    public bool UsesOldSelf { get; private init; }

    public bool OptionalOldSelf { get; private init; }

    public static CelRule? Compile(JsonObject json, string path, List<string> errors)
    {
        var rule = JsonPaths.GetString(json, "rule");
        if (string.IsNullOrWhiteSpace(rule))
        {
            errors.Add($"{path}.rule: Required value");
            return null;
        }

        try
        {
            var program = CompileExpression(rule);
            var messageExpression = JsonPaths.GetString(json, "messageExpression");
            return new CelRule(rule, program, messageExpression is null ? null : CompileExpression(messageExpression))
            {
                Message = JsonPaths.GetString(json, "message"),
                Reason = JsonPaths.GetString(json, "reason"),
                FieldPath = JsonPaths.GetString(json, "fieldPath"),
                UsesOldSelf = rule.Contains("oldSelf", StringComparison.Ordinal),
                OptionalOldSelf = JsonPaths.GetBool(json, "optionalOldSelf") ?? false,
            };
        }
#pragma warning disable CA1031 // the Cel library throws assorted exception types for compile errors
        catch (Exception e)
#pragma warning restore CA1031
        {
            errors.Add($"{path}.rule: Invalid value: \"{rule}\": compilation failed: {e.Message}");
            return null;
        }
    }

    private static Func<Dictionary<string, object?>, object?> CompileExpression(string expression)
    {
        lock (CompileGate)
        {
            var compiled = Environment.Compile(expression);
            return variables => compiled.Invoke(variables);
        }
    }

    /// <summary>Evaluates the rule: null when it holds, else the failure message.</summary>
    public string? Check(JsonNode? self, Schema schema, JsonNode? oldSelf, bool hasOld)
    {
        var variables = new Dictionary<string, object?> { ["self"] = ToCel(self, schema) };
        if (UsesOldSelf)
        {
            if (!hasOld && !OptionalOldSelf)
            {
                return null;
            }

            variables["oldSelf"] = hasOld ? ToCel(oldSelf, schema) : null;
        }

        object? result;
        try
        {
            result = _program(variables);
        }
#pragma warning disable CA1031 // evaluation errors (no such key, type errors) are rule failures, as in kube-apiserver
        catch (Exception e)
#pragma warning restore CA1031
        {
            return $"{e.Message} evaluating rule: {Rule}";
        }

        if (result is true)
        {
            return null;
        }

        if (result is not bool)
        {
            return $"rule did not evaluate to a bool: {Rule}";
        }

        if (_messageProgram is not null)
        {
            try
            {
                if (_messageProgram(variables) is string { Length: > 0 } message)
                {
                    return message;
                }
            }
#pragma warning disable CA1031 // a failing messageExpression falls back to the static message, as in kube-apiserver
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }

        return Message ?? $"failed rule: {Rule}";
    }

    /// <summary>Converts JSON to the values the Cel library evaluates, using the schema to tell int from double.</summary>
    public static object? ToCel(JsonNode? node, Schema? schema) => node switch
    {
        null => null,
        JsonObject obj => obj.ToDictionary(p => p.Key, p => ToCel(p.Value, schema?.Properties?.GetValueOrDefault(p.Key) ?? schema?.AdditionalProperties), StringComparer.Ordinal),
        JsonArray arr => arr.Select(item => ToCel(item, schema?.Items)).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number when schema?.Type == "number" => Json.JsonPaths.AsDouble(v),
            JsonValueKind.Number => v.TryGetValue<long>(out var l) ? l : IntegralDouble(Json.JsonPaths.AsDouble(v)),
            _ => null,
        },
        _ => null,
    };

    private static object IntegralDouble(double d) => Math.Floor(d) == d && Math.Abs(d) < 9e18 ? (long)d : d;
}
