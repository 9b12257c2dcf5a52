namespace Nestor.Testing;

/// <summary>Polls a condition until it holds or a deadline passes (for asynchronous controllers such as garbage collection).</summary>
public static class Eventually
{
    public static async Task<bool> TrueAsync(Func<Task<bool>> condition, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(50));
        }
    }
}
