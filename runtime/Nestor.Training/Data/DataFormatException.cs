namespace Nestor.Training.Data;

/// <summary>Bad training data: the message names the file and line.</summary>
public sealed class DataFormatException(string message) : Exception(message);
