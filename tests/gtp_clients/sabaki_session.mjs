// Drives `golois gtp` with Sabaki's own GTP library (its Controller and state tracker), as the Sabaki GUI does,
// and prints what it saw as JSON. Usage: node sabaki_session.mjs PYTHON
import {Controller, ControllerStateTracker} from '@sabaki/gtp'

const python = process.argv[2]
const controller = new Controller(python, ['-m', 'golois.cli', 'gtp', '--playouts', '4', '-q'])
const tracker = new ControllerStateTracker(controller)
const seen = {}
const send = async (name, ...args) => tracker.queueCommand({name, args})

controller.start()
try {
  seen.name = (await send('name')).content
  seen.knowsAnalyze = await tracker.knowsCommand('lz-analyze')
  const moves = [['B', 'Q16'], ['W', 'D4'], ['B', 'Q3']].map(([c, v]) => ({name: 'play', args: [c, v]}))
  await tracker.sync({komi: 7.5, boardsize: [19, 19], history: moves})
  const genmove = await send('genmove', 'W')
  seen.genmove = genmove.content
  seen.genmoveError = genmove.error
  // Sabaki undoes by syncing to a shorter history: the tracker sends undo (or rebuilds), then checks the board.
  await tracker.sync({komi: 7.5, boardsize: [19, 19], history: moves.slice(0, 2)})
  seen.board = (await send('showboard')).content
  seen.illegal = await send('play', 'B', 'Q16')
  seen.score = (await send('final_score')).content
  seen.state = tracker.state
} finally {
  await controller.stop()
}
console.log(JSON.stringify(seen))
