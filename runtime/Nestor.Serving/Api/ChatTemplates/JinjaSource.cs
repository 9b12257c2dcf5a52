namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>A template's name and its source with newlines normalised as Jinja does (one trailing newline dropped).</summary>
internal sealed class JinjaSource
{
    public JinjaSource(string name, string text)
    {
        Name = name;
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        Text = text.EndsWith('\n') ? text[..^1] : text;
    }

    public string Name { get; }

    public string Text { get; }

    public TemplateSyntaxException Error(int offset, string message)
    {
        offset = Math.Clamp(offset, 0, Text.Length);
        int line = 1, lineStart = 0;
        for (int i = 0; i < offset; i++)
        {
            if (Text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return new TemplateSyntaxException(Name, line, offset - lineStart + 1, message);
    }
}
