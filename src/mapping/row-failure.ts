/**
 * Why one row could not be mapped. Thrown inside the row evaluators (an exception costs nothing on
 * rows that do not throw, unlike a result object checked at every node) and caught once in `map`,
 * which returns it as a value: mapping never throws at row time.
 */
export class RowFailure {
  readonly reason: 'template_error' | 'not_an_object';
  readonly message: string;

  constructor(reason: 'template_error' | 'not_an_object', message: string) {
    this.reason = reason;
    this.message = message;
  }
}
