"""Updates in: stored before Telegram is told they arrived, then handled in order per chat.

`edge` cleans what comes in; `polling` fetches and acknowledges only what is stored; `inbox`
stores it and hands it to the `processor`, which feeds the dispatcher one chat's updates at a
time, retries what a database outage interrupted, and turns a handler's crash into an apology
with a reference (`failures`); `notice` tells people waiting on an outage that their message
arrived.
"""
