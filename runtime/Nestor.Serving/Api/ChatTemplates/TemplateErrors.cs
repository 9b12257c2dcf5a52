namespace Nestor.Serving.Api.ChatTemplates;

/// <summary>
/// A template Nestor cannot load: a syntax error or a construct outside the supported Jinja subset, found when the
/// template is parsed (server start), never while rendering a request. The message names the template and position.
/// </summary>
public sealed class TemplateSyntaxException(string template, int line, int column, string message)
    : Exception($"{template}:{line}:{column}: {message}")
{
    public string Template { get; } = template;

    public int Line { get; } = line;

    public int Column { get; } = column;

    public string Reason { get; } = message;
}

/// <summary>A template that failed while rendering (a type error, an undefined value used as an object, ...).</summary>
public class TemplateRuntimeException(string message) : Exception(message);

/// <summary>The template's own <c>raise_exception(message)</c>: the request does not fit what the template accepts.</summary>
public sealed class TemplateRaisedException(string message) : TemplateRuntimeException(message);
