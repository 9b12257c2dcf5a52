namespace Nestor.Training.Config;

/// <summary>A bad configuration (exit code 2): the message names the file and field.</summary>
public sealed class ConfigException(string message) : Exception(message);
