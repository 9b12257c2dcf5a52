using System.Text;

namespace Nestor.Local.Node.Env;

/// <summary>
/// Kubernetes' $(VAR) expansion (k8s.io/kubernetes third_party/forked/golang/expansion): $(NAME) becomes
/// the variable's value when it is defined and stays as written when not; $$ is a literal $; any
/// other $ is kept. Used for env values (against earlier variables) and for command and args.
/// </summary>
public static class VarExpansion
{
    public static string Expand(string input, IReadOnlyDictionary<string, string> variables)
    {
        if (!input.Contains('$', StringComparison.Ordinal))
        {
            return input;
        }

        var output = new StringBuilder(input.Length);
        var checkpoint = 0;
        for (var cursor = 0; cursor < input.Length; cursor++)
        {
            if (input[cursor] != '$' || cursor + 1 >= input.Length)
            {
                continue;
            }

            output.Append(input, checkpoint, cursor - checkpoint);
            var next = input[cursor + 1];
            var advance = 1;
            if (next == '$')
            {
                output.Append('$');
            }
            else if (next == '(')
            {
                var close = input.IndexOf(')', cursor + 2);
                if (close < 0)
                {
                    output.Append("$(");
                }
                else
                {
                    var name = input[(cursor + 2)..close];
                    output.Append(variables.TryGetValue(name, out var value) ? value : $"$({name})");
                    advance = close - cursor;
                }
            }
            else
            {
                output.Append('$').Append(next);
            }

            cursor += advance;
            checkpoint = cursor + 1;
        }

        return output.Append(input, checkpoint, input.Length - checkpoint).ToString();
    }
}
