namespace TrafficSentinel.Classifier;

/// <summary>A model file that this sensor cannot use: another feature schema, or not a flow-classifier model.</summary>
public sealed class ModelSchemaException : Exception
{
    public ModelSchemaException()
    {
    }

    public ModelSchemaException(string message)
        : base(message)
    {
    }

    public ModelSchemaException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
