import { describe, expect, it } from 'vitest';
import { isAutopilotError } from '../../src/errors.ts';
import { compileCommandGrammar } from '../../src/rules/command-grammar.ts';

describe('compileCommandGrammar', () => {
  const move = compileCommandGrammar('move {id} to {state}');

  it('names the command by its first word and lists its placeholders', () => {
    expect(move.name).toBe('move');
    expect(move.params).toEqual(['id', 'state']);
  });

  it('matches case-insensitively, tolerating extra spaces and leading @mentions', () => {
    expect(move.match('move 123 to done')).toEqual({ id: '123', state: 'done' });
    expect(move.match('@autopilot   MOVE  123  To   done  ')).toEqual({ id: '123', state: 'done' });
    expect(move.match('@_user_1 @bot move 7 to done')).toEqual({ id: '7', state: 'done' });
  });

  it('gives the rest of the line to a final placeholder', () => {
    expect(move.match('move 123 to in review')).toEqual({ id: '123', state: 'in review' });
    const note = compileCommandGrammar('note {id} {text}');
    expect(note.match('note 9 ship it  today ')).toEqual({ id: '9', text: 'ship it  today' });
  });

  it('does not match other messages', () => {
    expect(move.match('move 123 into done')).toBeUndefined();
    expect(move.match('move 123 to')).toBeUndefined();
    expect(move.match('hello')).toBeUndefined();
    expect(move.match('')).toBeUndefined();
    expect(compileCommandGrammar('close {id}').match('close 1 2')).toEqual({ id: '1 2' });
    expect(compileCommandGrammar('status').match('status now')).toBeUndefined();
    expect(compileCommandGrammar('status').match('@bot status')).toEqual({});
  });

  it.each([
    ['', /it is empty/],
    ['{id} move', /must start with a literal word/],
    ['move {id} to {id}', /\{id\} appears twice/],
    ['move {Id}', /is not a placeholder/],
    ['move {id}{state}', /is not a placeholder/],
    ['move x{id}', /is not a placeholder/],
    ['move {__proto__}', /reserved name/],
    ['@bot move', /cannot be matched/],
  ])('refuses the grammar %j', (grammar, message) => {
    let thrown: unknown;
    try {
      compileCommandGrammar(grammar);
    } catch (error) {
      thrown = error;
    }
    expect(isAutopilotError(thrown, 'AP_RULE_INVALID')).toBe(true);
    expect((thrown as Error).message).toMatch(message);
  });
});
